"""Lazy initialisation race: two threads both see `instance is None` and build it twice."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Lazy initialisation: the singleton built twice",
    bug_class="atomicity violation (check-then-act)",
    primitives=("threading.Thread", "threading.Lock"),
    granularity="line",
    order=13,
    related=("check_then_act_balance",),
    outcomes={
        "ok": (ACCEPTABLE, "the connection pool is created once and shared"),
        "assertion": (FORBIDDEN, "two pools were created; the threads use different ones"),
    },
)
