"""Async lost update: `value = shared; await io(); shared = value + 1` in gathered tasks."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Async lost update: an await inside a read-modify-write",
    bug_class="atomicity violation",
    primitives=("asyncio.gather", "asyncio.Lock"),
    granularity="await",
    order=22,
    related=("unlocked_counter", "async_check_then_act"),
    fixes=("fixed_no_await", "fixed_lock"),
    outcomes={
        "ok": (ACCEPTABLE, "every increment counted"),
        "assertion": (FORBIDDEN, "lost update: two tasks read the same value across an await"),
    },
    watch=("hits",),
)
