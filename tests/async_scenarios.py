"""Coroutine scenarios for the asyncio exploration tests. Module-level, so they replay by name."""

from __future__ import annotations

import asyncio

hits = 0


async def _count_hit() -> None:
    global hits
    value = hits
    await asyncio.sleep(0)
    hits = value + 1


async def lost_update() -> None:
    global hits
    hits = 0
    await asyncio.gather(_count_hit(), _count_hit())
    assert hits == 2, f"lost update: hits is {hits}"


async def _count_hit_with_delay(delay: float) -> None:
    global hits
    await asyncio.sleep(delay)
    value = hits
    await asyncio.sleep(0)
    hits = value + 1


async def lost_update_needs_reordering() -> None:
    """FIFO order is safe here; only another order of the ready tasks loses an update."""
    global hits
    hits = 0
    first = asyncio.create_task(_count_hit_with_delay(0))
    await asyncio.sleep(0)
    second = asyncio.create_task(_count_hit_with_delay(0))
    await asyncio.gather(first, second)
    assert hits == 2, f"lost update: hits is {hits}"


async def lock_order_deadlock() -> None:
    a, b = asyncio.Lock(), asyncio.Lock()

    async def ab() -> None:
        async with a:
            await asyncio.sleep(0)
            async with b:
                pass

    async def ba() -> None:
        async with b:
            await asyncio.sleep(0)
            async with a:
                pass

    await asyncio.gather(ab(), ba())


async def queue_join_forgotten() -> None:
    jobs: asyncio.Queue[int] = asyncio.Queue()

    async def worker() -> None:
        while True:
            job = await jobs.get()
            if job == 2:
                continue
            jobs.task_done()

    asyncio.create_task(worker())  # noqa: RUF006 - left running on purpose
    for job in range(3):
        jobs.put_nowait(job)
    await jobs.join()


async def unretrieved_exception() -> None:
    async def boom() -> None:
        raise ValueError("nobody saw this")

    asyncio.create_task(boom())  # noqa: RUF006 - never awaited, on purpose
    await asyncio.sleep(0)


async def pending_at_exit() -> None:
    async def slow() -> None:
        await asyncio.sleep(10)

    asyncio.create_task(slow())  # noqa: RUF006 - never awaited, on purpose


async def virtual_time() -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.sleep(100)
    assert loop.time() - start == 100
    try:
        await asyncio.wait_for(asyncio.Event().wait(), timeout=5)
    except TimeoutError:
        pass
    else:
        raise AssertionError("wait_for did not time out")
    assert loop.time() - start == 105
