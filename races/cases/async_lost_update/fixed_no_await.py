"""Fix: no await inside the read-modify-write. Between two awaits, code runs atomically."""

import asyncio

hits = 0


async def log(message: str) -> None:
    await asyncio.sleep(0)


async def count_hit() -> None:
    global hits
    await log("hit")
    hits += 1


async def scenario() -> None:
    global hits
    hits = 0
    await asyncio.gather(*(count_hit() for _ in range(3)))
    assert hits == 3, f"lost update: {hits} of 3 hits counted"


if __name__ == "__main__":
    asyncio.run(scenario())
    print(f"Hits: {hits}")
