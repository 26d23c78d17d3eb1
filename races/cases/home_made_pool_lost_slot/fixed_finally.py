"""Fix: the worker survives a failing job: it reports the error as the job's outcome and goes on."""

import queue
import threading

JOBS = ["bad", "bad", "a"]


def process(job: str) -> str:
    if job == "bad":
        raise ValueError(f"job {job!r} failed")
    return job.upper()


def worker(tasks: "queue.Queue[str | None]", results: "queue.Queue[tuple[str, str]]") -> None:
    while True:
        job = tasks.get()
        if job is None:
            return
        outcome = "lost"
        try:
            outcome = process(job)
        except ValueError as exc:
            outcome = f"error: {exc}"  # this job failed; the worker did not
        finally:
            results.put((job, outcome))  # every job gets an outcome, whatever happened


def run_pool(workers: int) -> list[tuple[str, str]]:
    tasks: queue.Queue[str | None] = queue.Queue()
    results: queue.Queue[tuple[str, str]] = queue.Queue()
    pool = [
        threading.Thread(target=worker, args=(tasks, results), name=f"worker-{i + 1}")
        for i in range(workers)
    ]
    for job in JOBS:
        tasks.put(job)
    for _ in pool:
        tasks.put(None)  # the poison pills, after every job: one per worker
    for thread in pool:
        thread.start()
    outcomes = [results.get() for _ in JOBS]
    for thread in pool:
        thread.join()
    return outcomes


def scenario() -> None:
    outcomes = run_pool(workers=2)
    assert len(outcomes) == len(JOBS)


if __name__ == "__main__":
    print(sorted(run_pool(2)))
