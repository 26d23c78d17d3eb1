"""Fix: keep the tasks and gather them: the caller waits for every save and sees each error.

`asyncio.gather(*tasks, return_exceptions=True)` waits for every task and hands back
each one's result or exception. (An `asyncio.TaskGroup` also waits and raises the errors
in the caller, but its first failure cancels the tasks still running: a record saved
after the bad one would be lost.)
"""

import asyncio

saved: list[str] = []


async def save(record: str) -> None:
    await asyncio.sleep(0.01)  # the database
    if record == "bad":
        raise ValueError(f"cannot save {record!r}")
    saved.append(record)


async def handle(records: list[str]) -> list[str]:
    tasks = [asyncio.create_task(save(record)) for record in records]
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    return [str(outcome) for outcome in outcomes if isinstance(outcome, Exception)]


async def scenario() -> None:
    saved.clear()
    errors = await handle(["a", "b", "bad"])
    assert sorted(saved) == ["a", "b"], f"saved {saved}"
    assert errors == ["cannot save 'bad'"], errors


if __name__ == "__main__":
    errors = asyncio.run(handle(["a", "b", "bad"]))
    print(f"Saved {saved}; errors that reached the caller: {errors}")
