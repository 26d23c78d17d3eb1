"""The handler starts a task to save each record and returns without awaiting it.

What goes wrong
---------------
`asyncio.create_task(save(record))` with the task thrown away has two silent failure
modes. If the program ends first, `asyncio.run` cancels the pending task and the record
is never saved. If the task raises, the exception is stored in a task nobody awaits: it
surfaces, at best, as a "Task exception was never retrieved" log line at garbage
collection. (The loop also keeps only a weak reference to tasks, so an unreferenced task
can even be collected mid-flight.)

The losing run: `handle()` returns, the main coroutine ends, and the save task for the
second record is still waiting for the database.

The fix
-------
`fixed.py` runs the saves in an `asyncio.TaskGroup`: the `async with` block does not end
until every task in it has finished, and if one fails, the error is raised in the caller.
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
