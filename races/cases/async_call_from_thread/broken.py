"""A worker thread puts its result straight into an asyncio.Queue; the event loop sleeps on.

What goes wrong
---------------
An asyncio event loop that has nothing to do sleeps in `select()`, and wakes when a
socket or a timer needs it, or when a thread writes to its wake-up pipe, which is what
`loop.call_soon_threadsafe()` does. Nothing else wakes it. `asyncio.Queue` is not
`queue.Queue`: it is made for tasks of one loop, and it is not thread-safe. A worker
thread that calls `prices.put_nowait(price)` does put the price in the queue, and marks
the task waiting in `get()` ready to run, with `loop.call_soon()`: that adds the task
to the loop's ready list, but it does not wake the loop. The loop sleeps on, with the
task ready to run and nobody to run it. (Meanwhile the queue's items and its waiters
are changed by two threads with no lock between them.) Calling `loop.call_soon()`
yourself from a thread, or a future's `set_result()`, goes wrong the same way.

Timing decides: a worker that put the price before the loop went to sleep would be
seen at the loop's next look. But a worker has work to do first (a lookup, here 0.01 s),
so the losing order is the usual one, and the one races runs first. MainThread starts the
worker and awaits `prices.get()` on an empty queue; with nothing ready, the loop sleeps
in `select()`. Thread-1 (look_up_price) finishes its lookup and calls
`prices.put_nowait(42)`: the task is marked ready, and the loop is not woken.

Here nothing else wakes the loop, and races prints its thread stuck in `select`, below:
a missed signal. In a real program the loop wakes for something else sooner or later (a
timer, another socket), and the price gets through late, for no reason anyone can see:
`python -m races.cases.async_call_from_thread.broken` gives the loop a timer due in 2 s,
and the price, looked up in 0.01 s, comes 2 s after the request.

What races prints
-----------------
`races run async_call_from_thread` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in select for its event loop's wake-up, which only call_soon_threadsafe sends, at broken.py:80  `price, worker = asyncio.run(quote())`

The fixes
---------
Hand the work to the loop, and wake it: `fixed_call_soon_threadsafe.py` asks the loop to
call `put_nowait` with `loop.call_soon_threadsafe()`, which also writes to its wake-up
pipe; `fixed_run_coroutine_threadsafe.py` submits the coroutine `prices.put(price)` to
the loop with `asyncio.run_coroutine_threadsafe()` (which does the same for a
coroutine) and waits for it to be done. The worker touches nothing of the loop's itself.

See also `async_blocking_call` (the loop's thread held by a blocking call), `lost_wakeup`
and `event_pulse_missed` (signals missed between threads).

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 2 counted runs (100%); stopped after 2 hang(s)
    1 us switching        2 of 2 counted runs (100%); stopped after 2 hang(s)
    noise 0.01            2 of 2 counted runs (100%); stopped after 2 hang(s)
    the scheduler         1 schedule(s)
"""

import asyncio
import threading
import time


def look_up_price(loop: asyncio.AbstractEventLoop, prices: "asyncio.Queue[int]") -> None:
    """Runs in a worker thread: the lookup, then the result to the loop."""
    time.sleep(0.01)  # the lookup: a blocking call to the price service, off the loop
    price = 42
    prices.put_nowait(price)  # from another thread: the loop is not woken


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
