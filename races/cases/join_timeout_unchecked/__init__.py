"""`t.join(timeout)` returns finished or not; the caller uses a result that is not there yet."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case, Search

CASE = Case(
    title="join(timeout) without is_alive(): the result that was not there yet",
    bug_class="order violation",
    primitives=("threading.Thread.join", "threading.Thread.is_alive"),
    granularity="line",
    order=35,
    related=("timer_cancel_race", "thread_exception_lost"),
    fixes=("fixed_is_alive", "fixed_join"),
    # The worker's reply and the timeout both come at 0.1 s: which goes first is the race.
    # Partial-order reduction does not count `is_alive()` as a step that conflicts with the
    # worker's end, so it would run only one of the two orders; every schedule is run
    # instead (63 for fixed_is_alive; none needs more than 5 preemptions).
    prove=Search("dfs", budget=3000, options={"preemption_bound": 20}),
    outcomes={
        "ok": (ACCEPTABLE, "the page shows the price, or says it is not available yet"),
        "assertion": (
            FORBIDDEN,
            "join(timeout) gave up before the worker finished, and the page showed a price "
            "that was never fetched",
        ),
    },
)
