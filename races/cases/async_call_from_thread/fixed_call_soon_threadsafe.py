"""Fix: the worker asks the loop to put the price, with call_soon_threadsafe(), which wakes it."""

import asyncio
import threading
import time


def look_up_price(loop: asyncio.AbstractEventLoop, prices: "asyncio.Queue[int]") -> None:
    """Runs in a worker thread: the lookup, then the result to the loop."""
    time.sleep(0.01)  # the lookup: a blocking call to the price service, off the loop
    price = 42
    loop.call_soon_threadsafe(prices.put_nowait, price)  # run by the loop, which is woken


async def quote() -> tuple[int, threading.Thread]:
    loop = asyncio.get_running_loop()
    prices: asyncio.Queue[int] = asyncio.Queue()
    worker = threading.Thread(target=look_up_price, args=(loop, prices))
    worker.start()
    return await prices.get(), worker


def scenario() -> None:
    price, worker = asyncio.run(quote())
    worker.join()
    assert price == 42


async def demo() -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(2.0, lambda: None)  # something else that wakes the loop, in 2 s
    start = loop.time()
    price, worker = await quote()
    print(f"Price {price} came {loop.time() - start:.2f} s after the request (lookup: 0.01 s).")
    await asyncio.to_thread(worker.join)


if __name__ == "__main__":
    asyncio.run(demo())
