"""Two asyncio locks taken in opposite orders across awaits: a deadlock of tasks."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Async lock-order deadlock",
    bug_class="deadlock (lock order)",
    primitives=("asyncio.Lock",),
    granularity="await",
    order=24,
    related=("lock_order_deadlock",),
    outcomes={
        "ok": (ACCEPTABLE, "both transfers complete"),
        "deadlock": (FORBIDDEN, "each task holds one lock and waits for the other's"),
    },
)
