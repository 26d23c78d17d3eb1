"""Unlocked counter: threads decrement a shared count without a lock, and updates are lost."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Unlocked counter: the lost update",
    bug_class="atomicity violation",
    primitives=("threading.Thread", "threading.Lock"),
    granularity="instruction",
    order=1,
    related=("check_then_act_balance", "lazy_init_race"),
    broken=("broken", "broken_pause"),
    fixes=("fixed",),
    outcomes={
        "ok": (ACCEPTABLE, "every decrement counted: the count ends at 0"),
        "assertion": (
            FORBIDDEN,
            "lost update: a decrement was overwritten, the count ends above 0",
        ),
    },
    watch=("count",),
)
