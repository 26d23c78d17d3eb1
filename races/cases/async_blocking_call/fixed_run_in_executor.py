"""Fix: the blocking client runs on a thread pool of its own, with loop.run_in_executor()."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor


def fetch_report_blocking() -> str:
    time.sleep(0.5)  # a blocking client: half a second on the network
    return "report"


async def build_report(clients: ThreadPoolExecutor) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(clients, fetch_report_blocking)  # a worker blocks


async def answer_ping() -> str:
    await asyncio.sleep(0.01)  # the health check's own work
    return "pong"


async def serve() -> None:
    with ThreadPoolExecutor(max_workers=4) as clients:  # shut down, its threads joined
        report = asyncio.create_task(build_report(clients))
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
