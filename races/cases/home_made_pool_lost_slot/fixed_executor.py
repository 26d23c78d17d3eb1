"""Fix: use ThreadPoolExecutor; a failing job's exception stays in its future, workers carry on."""

from concurrent.futures import ThreadPoolExecutor

JOBS = ["bad", "bad", "a"]


def process(job: str) -> str:
    if job == "bad":
        raise ValueError(f"job {job!r} failed")
    return job.upper()


def run_pool(workers: int) -> list[tuple[str, str]]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [(job, pool.submit(process, job)) for job in JOBS]
    outcomes = []
    for job, future in futures:
        error = future.exception()
        outcomes.append((job, f"error: {error}" if error else future.result()))
    return outcomes


def scenario() -> None:
    outcomes = run_pool(workers=2)
    assert len(outcomes) == len(JOBS)


if __name__ == "__main__":
    print(sorted(run_pool(2)))
