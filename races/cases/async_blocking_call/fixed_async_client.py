"""Fix: an async client. Awaiting the network hands the loop back to the other tasks."""

import asyncio


async def fetch_report() -> str:
    await asyncio.sleep(0.5)  # an async client: half a second on the network, loop free
    return "report"


async def build_report() -> str:
    return await fetch_report()  # suspends this task only


async def answer_ping() -> str:
    await asyncio.sleep(0.01)  # the health check's own work
    return "pong"


async def serve() -> None:
    report = asyncio.create_task(build_report())
    try:
        pong = await asyncio.wait_for(answer_ping(), timeout=0.1)
    except TimeoutError:
        pong = "no answer"
    assert pong == "pong", f"the health check got {pong!r}: its 0.1 s deadline passed"
    assert await report == "report"


def scenario() -> None:
    asyncio.run(serve())


if __name__ == "__main__":
    scenario()
    print("The health check answered in time.")
