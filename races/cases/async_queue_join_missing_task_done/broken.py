"""The asyncio twin of `queue_join_missing_task_done`: a failing job is never marked done.

What goes wrong
---------------
`await jobs.join()` waits until every `put` has a matching `task_done()`. The worker
skips `task_done()` when a job raises, so `join()` waits forever, and so does the worker,
for the next job. In a real program `asyncio.run` just hangs; races reports every task
waiting and none able to wake another, with their await sites: below, the main task in
`await jobs.join()` and Task-1 (worker) in `await jobs.get()`.

What races prints
-----------------
`races run async_queue_join_missing_task_done` finds it and prints (CPython 3.11):

    Stuck: every task waits, and none of them can wake another:
      main waits in Queue.join, at broken.py:63  `await jobs.join()`
      Task-1 (worker) waits in Queue.get, at broken.py:49  `job = await jobs.get()`

The fix
-------
`fixed.py` calls `task_done()` in `finally:`.

Measured on a real interpreter
------------------------------
`races stress --all`, CPython 3.11.7: tasks switch only where they wait,
so real switch intervals and noise change nothing, and the real runtime takes
one order, the default one. What each search needed to show the bug:

    search                result
    default order         shown (stuck thread)
    random, seed 0        1 schedule(s)
    pct, seed 0           1 schedule(s)
    dpor                  1 schedule(s)
"""

import asyncio

done: list[str] = []


def process(job: str) -> str:
    if job == "bad":
        raise ValueError("cannot process a bad job")
    return job.upper()


async def worker(jobs: "asyncio.Queue[str]") -> None:
    while True:
        job = await jobs.get()
        try:
            done.append(process(job))
        except ValueError:
            continue  # the error path forgets task_done()
        jobs.task_done()


async def scenario() -> None:
    done.clear()
    jobs: asyncio.Queue[str] = asyncio.Queue()
    consumer = asyncio.create_task(worker(jobs))
    for job in ("ok", "bad", "ok"):
        jobs.put_nowait(job)
    await jobs.join()
    consumer.cancel()


if __name__ == "__main__":

    async def main() -> None:
        try:
            await asyncio.wait_for(scenario(), timeout=1)
            print("All jobs done.")
        except TimeoutError:
            print("Hung in jobs.join(): a job was never marked done.")

    asyncio.run(main())
