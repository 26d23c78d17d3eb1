"""A worker thread hands its result to an asyncio loop without waking it: the loop sleeps on."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Calling into an event loop from a thread: the loop is never woken",
    bug_class="lost wake-up (an event loop never woken)",
    primitives=(
        "asyncio.Queue.put_nowait",
        "loop.call_soon_threadsafe",
        "asyncio.run_coroutine_threadsafe",
    ),
    # Threads, not tasks: the bug is between a real thread and the loop's thread, which
    # the scheduler interleaves; the loop sleeping in select() is a blocking call it sees.
    granularity="line",
    order=48,
    related=("async_blocking_call", "lost_wakeup", "event_pulse_missed"),
    fixes=("fixed_call_soon_threadsafe", "fixed_run_coroutine_threadsafe"),
    outcomes={
        "ok": (ACCEPTABLE, "the loop got the worker's price"),
        "stuck thread": (
            FORBIDDEN,
            "the worker put the price while the loop slept in select(), without waking it: "
            "the loop sleeps on, with its task ready to run",
        ),
    },
)
