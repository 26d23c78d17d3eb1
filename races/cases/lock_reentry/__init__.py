"""Lock re-entry: a method holding a Lock calls a helper that takes the same Lock."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Lock re-entry: a Lock where an RLock was needed",
    bug_class="deadlock (self-deadlock)",
    primitives=("threading.Lock", "threading.RLock"),
    granularity="line",
    order=2,
    related=("lock_order_deadlock", "join_under_lock"),
    fixes=("fixed_rlock", "fixed_unlocked_helpers"),
    outcomes={
        "ok": (ACCEPTABLE, "the transfer completes"),
        "deadlock": (FORBIDDEN, "self-deadlock: the thread waits for a lock it holds itself"),
    },
)
