"""Fix: an asyncio.Lock held across the read, the await and the write."""

import asyncio

hits = 0


async def log(message: str) -> None:
    await asyncio.sleep(0)


async def count_hit(lock: asyncio.Lock) -> None:
    global hits
    async with lock:
        value = hits
        await log("hit")
        hits = value + 1


async def scenario() -> None:
    global hits
    hits = 0
    lock = asyncio.Lock()
    await asyncio.gather(*(count_hit(lock) for _ in range(3)))
    assert hits == 3, f"lost update: {hits} of 3 hits counted"


if __name__ == "__main__":
    asyncio.run(scenario())
    print(f"Hits: {hits}")
