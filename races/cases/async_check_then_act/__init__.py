"""Async check-then-act: a balance check, an await, then the withdrawal; two tasks overdraw."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Async check-then-act: single-threaded, still a race",
    bug_class="atomicity violation (check-then-act across an await)",
    primitives=("asyncio.gather", "asyncio.Lock"),
    granularity="await",
    order=21,
    related=("check_then_act_balance", "async_lost_update"),
    outcomes={
        "ok": (ACCEPTABLE, "one withdrawal succeeds, the other is refused"),
        "assertion": (FORBIDDEN, "overdrawn: both tasks passed the check before either withdrew"),
    },
    watch=("balance",),
)
