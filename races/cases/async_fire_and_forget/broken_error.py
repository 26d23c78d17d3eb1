"""The handler starts a task to save each record and gives them time, but never awaits them.

What goes wrong
---------------
This handler learned half the lesson of `broken.py`: it waits a moment after starting its
save tasks, so they run before the program ends. But it still never awaits them, and the
save of a bad record raises. The exception is stored in the task, and a task's exception
reaches someone only through `await task` (or `task.result()`, `task.exception()`). In
the run races prints, below, main creates Task-1 to save "a" and Task-2 to save "bad",
then sleeps; Task-1 saves "a"; Task-2 raises `ValueError`, which stays in Task-2, since
nobody asks; main wakes and returns, with no error anywhere.

At best, asyncio logs "Task exception was never retrieved" when the task is garbage
collected, long after, far from the caller that should have handled it.

What races prints
-----------------
`races run async_fire_and_forget --variant broken_error` finds it and prints (CPython 3.11):

    Lost error: Task-2 (save) raised ValueError: cannot save 'bad' at broken_error.py:53  `raise ValueError(f"cannot save {record!r}")`; no caller heard of it: never retrieved: nobody awaited the task

The fix
-------
`fixed.py` keeps the tasks and awaits them with `asyncio.gather(*tasks,
return_exceptions=True)`: the caller waits for every save and gets each one's error
back. (An `asyncio.TaskGroup` waits too, and raises the errors in the caller, but its
first failure cancels the tasks still running.)

See also `broken.py` (the work lost instead of the error), `future_exception_unretrieved`
and `pool_lost_exception`, the same loss with threads and processes.

Measured on a real interpreter
------------------------------
`races stress --all`, CPython 3.11.7: tasks switch only where they wait,
so real switch intervals and noise change nothing, and the real runtime takes
one order, the default one. What each search needed to show the bug:

    search                result
    default order         shown (thread exception)
    random, seed 0        1 schedule(s)
    pct, seed 0           1 schedule(s)
    dpor                  1 schedule(s)
"""

import asyncio

saved: list[str] = []


async def save(record: str) -> None:
    await asyncio.sleep(0.01)  # the database
    if record == "bad":
        raise ValueError(f"cannot save {record!r}")
    saved.append(record)


async def handle(records: list[str]) -> None:
    for record in records:
        asyncio.create_task(save(record))  # noqa: RUF006 - fire and forget: the bug taught here


async def scenario() -> None:
    saved.clear()
    await handle(["a", "bad"])
    await asyncio.sleep(0.1)  # time enough for every save: the work is not lost, the error is


if __name__ == "__main__":
    asyncio.run(scenario())
    print(f"Saved {saved}, and no error reached the caller")
