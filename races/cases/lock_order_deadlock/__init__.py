"""Lock-order deadlock: two transfers lock the same two accounts in opposite orders."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Lock-order deadlock: AB meets BA",
    bug_class="deadlock (lock order)",
    primitives=("threading.Lock",),
    granularity="line",
    order=8,
    related=("lock_reentry", "dining_philosophers"),
    outcomes={
        "ok": (ACCEPTABLE, "both transfers complete"),
        "deadlock": (FORBIDDEN, "each transfer holds one account's lock and waits for the other's"),
    },
)
