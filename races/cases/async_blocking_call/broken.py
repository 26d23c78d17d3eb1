"""An async request handler calls a blocking client; the health check's deadline passes meanwhile.

What goes wrong
---------------
An event loop runs one task at a time, on one thread, and switches only at an `await`.
`build_report()` is an `async def`, but it calls `fetch_report_blocking()`, a plain
function that blocks (here `time.sleep(0.5)`, standing for a blocking HTTP client or
database driver). While it blocks, the loop's thread is asleep inside it: no other task
runs, no timer fires, no socket is read. The load balancer's health check,
`answer_ping()`, needs 0.01 s and has a 0.1 s deadline; it gets its first turn after
half a second, by which time `asyncio.wait_for` has given up on it.

No unlucky interleaving is needed: asyncio's own order loses every time. `serve` creates
the `build_report()` task and waits for `answer_ping()` with a 0.1 s deadline;
`build_report()` runs first and blocks; `answer_ping()` starts only at 0.5 s, long after
its deadline, and `wait_for` cancels it. races prints the call that held the loop, below:
`time.sleep(0.5)`, on MainThread, the loop's thread.

races shows it with its threads scheduler: `asyncio.run` runs on a thread it controls,
whose `time.sleep` takes virtual time, so the loop's clock jumps by the 0.5 s the call
held it. (Under the asyncio scheduler, which runs tasks one step at a time, a blocking
call takes no virtual time at all.) A CPU-bound loop in place of the sleep, such as
`sum(range(30_000_000))`, blocks the loop just as badly on a real interpreter, but takes
no virtual time either: the scheduler would not see that one.

What races prints
-----------------
`races run async_blocking_call` finds it and prints (CPython 3.11):

    Blocked event loop: a blocking call ran inside a running asyncio event loop; while it blocked, no other task ran and no timer or deadline was served:
      MainThread: time.sleep(0.5) held the loop for 0.5 s, at broken.py:62  `time.sleep(0.5)  # a blocking client: half a second on the network`

The fixes
---------
The blocking work must leave the loop's thread, or stop blocking. `fixed_async_client.py`
uses an async client (here `await asyncio.sleep(0.5)`): awaiting gives the loop back.
`fixed_to_thread.py` keeps the blocking client and runs it with `asyncio.to_thread()`,
and `fixed_run_in_executor.py` with `loop.run_in_executor()` on a pool of its own: a
worker thread blocks, the loop goes on. (For CPU-bound work, a `ProcessPoolExecutor`
given to `run_in_executor` also frees the loop from the GIL.)

See also `greenlet_cpu_starvation` (the same with greenlets) and
`async_call_from_thread` (a thread that hands its result back to the loop).

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     20 of 20 counted runs (100%)
    1 us switching        20 of 20 counted runs (100%)
    noise 0.01            20 of 20 counted runs (100%)
    the scheduler         1 schedule(s)
"""

import asyncio
import time


def fetch_report_blocking() -> str:
    time.sleep(0.5)  # a blocking client: half a second on the network
    return "report"


async def build_report() -> str:
    return fetch_report_blocking()  # blocks the loop's thread: no other task runs


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
    try:
        scenario()
        print("The health check answered in time.")
    except AssertionError as exc:
        print(exc)
