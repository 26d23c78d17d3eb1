"""`t.join(timeout)` returns finished or not; the caller uses a result that is not there yet."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="join(timeout) without is_alive(): the result that was not there yet",
    bug_class="order violation",
    primitives=("threading.Thread.join", "threading.Thread.is_alive"),
    granularity="line",
    order=35,
    related=("timer_cancel_race", "thread_exception_lost"),
    fixes=("fixed_is_alive", "fixed_join"),
    # The worker's reply and the timeout both come at 0.1 s: which goes first is the race.
    # Partial-order reduction runs both: `is_alive()` looks at the lock the worker's end
    # releases, and the two are reversed like any conflicting steps.
    outcomes={
        "ok": (ACCEPTABLE, "the page shows the price, or says it is not available yet"),
        "assertion": (
            FORBIDDEN,
            "join(timeout) gave up before the worker finished, and the page showed a price "
            "that was never fetched",
        ),
    },
)
