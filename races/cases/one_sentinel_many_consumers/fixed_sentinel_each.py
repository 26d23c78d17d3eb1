"""Fix: one sentinel per consumer, so that every consumer gets its own and stops."""

import queue
import threading

STOP = None  # the sentinel: no more jobs


def consumer(jobs: "queue.Queue[str | None]", done: list[str]) -> None:
    while True:
        job = jobs.get()
        if job is STOP:
            break
        done.append(job)  # handle the job


def scenario() -> None:
    jobs: queue.Queue[str | None] = queue.Queue()
    for job in ("a", "b"):
        jobs.put(job)
    for _ in range(2):
        jobs.put(STOP)  # one sentinel per consumer
    done: list[str] = []
    consumers = [threading.Thread(target=consumer, args=(jobs, done)) for _ in range(2)]
    for c in consumers:
        c.start()
    for c in consumers:
        c.join()
    assert sorted(done) == ["a", "b"]


def main() -> None:
    scenario()
    print("Every consumer got its sentinel and stopped.")


if __name__ == "__main__":
    main()
