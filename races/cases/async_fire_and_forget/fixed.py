"""Fix: an asyncio.TaskGroup, which waits for its tasks and raises their errors in the caller."""

import asyncio

saved: list[str] = []


async def save(record: str) -> None:
    await asyncio.sleep(0.01)
    saved.append(record)


async def handle(records: list[str]) -> None:
    async with asyncio.TaskGroup() as group:
        for record in records:
            group.create_task(save(record))


async def scenario() -> None:
    saved.clear()
    await handle(["a", "b"])
    assert saved == ["a", "b"] or sorted(saved) == ["a", "b"]


if __name__ == "__main__":
    asyncio.run(scenario())
    print(f"Saved {saved}")
