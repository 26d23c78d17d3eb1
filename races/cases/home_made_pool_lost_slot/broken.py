"""A home-made thread pool: a worker that meets a failing job reports it and quits; the pool shrinks.

What goes wrong
---------------
The pool is the one tutorials build: N worker threads pull jobs from a task queue, put
each outcome on a result queue, and stop at a poison pill (`None`), one pill per worker.
Its worker handles a failing job by reporting the error and returning, as an uncaught
exception would end the thread anyway. Each failing job costs the pool a worker: its
slot is lost for good. Two workers, two failing jobs, and nobody is left to run the rest:
each worker takes a "bad" job, reports its error and returns, and MainThread, collecting
one outcome per job, waits in `results.get()` for the outcome of "a", which no thread
will ever take. races calls it a resource leak and prints it below: the work left in
`tasks`, the workers gone, and the only thread left, waiting.

No particular interleaving is needed, only failing jobs: whichever worker takes a bad job
dies, so two bad jobs always empty a pool of two. With more workers than failures the
pool just shrinks, one failure at a time, and the program slows down before it hangs.

What races prints
-----------------
`races run home_made_pool_lost_slot` finds it and prints (CPython 3.11):

    Resource leak: worker-1 and worker-2 took work from a queue and have ended; every other thread waits, and work is left that none of them will take:
      `tasks` (Queue) still holds 3 items ('a', None, None)
      MainThread waits in Queue.get for a notify/put/set that no running thread can make, at broken.py:85  `outcomes = [results.get() for _ in JOBS]  # one outcome per job: a result or its error`

The fixes
---------
`fixed_finally.py` keeps the worker alive: it catches the job's exception, reports it
as that job's outcome, and goes on to the next job (`try`/`except` inside the loop, the
`task_done`-style bookkeeping in `finally`). `fixed_executor.py` does not build a pool at
all: `ThreadPoolExecutor` keeps its workers, and a job's exception stays in its future.

See also `queue_join_missing_task_done` and `pool_lost_exception`.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 2 counted runs (100%); stopped after 2 hang(s)
    1 us switching        2 of 2 counted runs (100%); stopped after 2 hang(s)
    noise 0.01            2 of 2 counted runs (100%); stopped after 2 hang(s)
    the scheduler         1 schedule(s)
"""

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
        if job is None:  # the poison pill: this worker's last job
            return
        try:
            results.put((job, process(job)))
        except ValueError as exc:
            results.put((job, f"error: {exc}"))
            return  # the worker is gone, and with it one slot of the pool


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
    outcomes = [results.get() for _ in JOBS]  # one outcome per job: a result or its error
    for thread in pool:
        thread.join()
    return outcomes


def scenario() -> None:
    outcomes = run_pool(workers=2)
    assert len(outcomes) == len(JOBS)


if __name__ == "__main__":
    runner = threading.Thread(target=run_pool, args=(2,), daemon=True)
    runner.start()
    runner.join(timeout=1)
    print("Hung: every worker died, 'c' never ran." if runner.is_alive() else "Done.")
