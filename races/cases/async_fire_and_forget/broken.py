"""The handler starts a task to save each record and returns without awaiting it.

What goes wrong
---------------
`asyncio.create_task(save(record))` with the task thrown away has two silent failure
modes. If the program ends first, `asyncio.run` cancels the pending task and the record
is never saved. If the task raises, the exception is stored in a task nobody awaits: it
surfaces, at best, as a "Task exception was never retrieved" log line at garbage
collection. (The loop also keeps only a weak reference to tasks, so an unreferenced task
can even be collected mid-flight.)

The losing run is the plainest one, the order asyncio itself takes: `handle()` creates
both tasks and returns, and the main coroutine ends before either task has run a line.
`asyncio.run` then cancels Task-1 and Task-2, and nothing is saved. races prints each
task as it was when the main task returned, below.

`broken_error.py` shows the other failure: tasks given time to run, one raises, and
nobody hears of it.

What races prints
-----------------
`races run async_fire_and_forget` finds it and prints (CPython 3.11):

      Task-1 (save) had not started: save() never ran
      Task-2 (save) had not started: save() never ran

The fix
-------
`fixed.py` keeps the tasks and awaits them with `asyncio.gather(*tasks,
return_exceptions=True)`: the caller waits for every save and gets each one's error
back. (An `asyncio.TaskGroup` waits too, and raises the errors in the caller, but its
first failure cancels the tasks still running.)

Measured on a real interpreter
------------------------------
`races stress --all`, CPython 3.11.7: tasks switch only where they wait,
so real switch intervals and noise change nothing, and the real runtime takes
one order, the default one. What each search needed to show the bug:

    search                result
    default order         shown (lost work)
    random, seed 0        1 schedule(s)
    pct, seed 0           1 schedule(s)
    dpor                  1 schedule(s)
"""

import asyncio

saved: list[str] = []


async def save(record: str) -> None:
    await asyncio.sleep(0.01)  # the database
    saved.append(record)


async def handle(records: list[str]) -> None:
    for record in records:
        asyncio.create_task(save(record))  # noqa: RUF006 - fire and forget: the bug taught here


async def scenario() -> None:
    saved.clear()
    await handle(["a", "b"])


if __name__ == "__main__":
    asyncio.run(scenario())
    print(f"Saved {saved} of ['a', 'b']")
