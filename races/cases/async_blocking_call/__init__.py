"""A blocking call inside an async def: the event loop stops, and another task's deadline passes."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Blocking call in an async def: the event loop stops for every task",
    bug_class="starvation (blocked event loop)",
    primitives=("asyncio.wait_for", "asyncio.to_thread", "loop.run_in_executor"),
    # Threads, not tasks: the scenario runs asyncio.run on a thread the scheduler controls,
    # whose time.sleep blocks for virtual seconds that the loop's clock sees pass. Stepped
    # by the asyncio runtime (granularity "await"), a blocking call takes no virtual time
    # and no deadline could pass.
    granularity="line",
    order=47,
    related=("greenlet_cpu_starvation", "async_call_from_thread", "nested_submit_deadlock"),
    fixes=("fixed_async_client", "fixed_to_thread", "fixed_run_in_executor"),
    outcomes={
        "ok": (ACCEPTABLE, "the health check answered within its deadline"),
        "assertion": (
            FORBIDDEN,
            "a blocking call held the event loop's thread: the health check missed its "
            "0.1 s deadline",
        ),
    },
)
