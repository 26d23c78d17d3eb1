"""Dining philosophers: each takes the left fork, then the right; all hold one and wait."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case, Search

CASE = Case(
    title="Dining philosophers: a cycle of three",
    bug_class="deadlock (lock order)",
    primitives=("threading.Lock", "threading.Semaphore"),
    granularity="line",
    order=9,
    related=("lock_order_deadlock",),
    fixes=("fixed_ordered_forks", "fixed_waiter"),
    outcomes={
        "ok": (ACCEPTABLE, "every philosopher eats"),
        "deadlock": (FORBIDDEN, "every philosopher holds a left fork and waits for the right one"),
    },
    find=Search("pct", budget=2000, options={"depth": 3}),
    # Exhaustive to 2 preemptions takes 8-17 s per fix here: a large PCT budget instead.
)
