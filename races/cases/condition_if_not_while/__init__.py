"""`if not items: cond.wait()` with two consumers: one wakes to an empty list and pops from it."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Condition.wait under `if` instead of `while`",
    bug_class="order violation (stale wake-up)",
    primitives=("threading.Condition",),
    granularity="line",
    order=10,
    related=("lost_wakeup", "empty_then_get"),
    outcomes={
        "ok": (ACCEPTABLE, "each consumer gets one item"),
        "thread exception": (
            FORBIDDEN,
            "a consumer woke up, skipped the re-check, and popped from an empty list",
        ),
    },
    # Three threads: exhaustive to 2 preemptions needs over 20,000 schedules.
)
