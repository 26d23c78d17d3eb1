"""Jobs submitted to a thread pool whose futures nobody asks: a failing job's error is lost."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Future exception never retrieved: submit and forget",
    bug_class="lost error",
    primitives=("concurrent.futures.ThreadPoolExecutor.submit", "Future.result"),
    granularity="line",
    order=40,
    related=("pool_lost_exception", "async_fire_and_forget", "thread_exception_lost"),
    fixes=("fixed_result", "fixed_as_completed"),
    outcomes={
        "ok": (ACCEPTABLE, "every job's result or error reached the caller"),
        "thread exception": (
            FORBIDDEN,
            "a job raised, and its error stayed in a future nobody asked: the caller "
            "never heard of it",
        ),
        "assertion": (FORBIDDEN, "a job's outcome never reached the caller"),
    },
)
