"""Done-callbacks run in worker threads; adding to a shared total from them loses updates."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Future callbacks race on a shared total",
    bug_class="atomicity violation",
    primitives=("concurrent.futures.Future.add_done_callback", "threading.Lock"),
    granularity="line",
    order=19,
    related=("unlocked_counter",),
    fixes=("fixed_lock", "fixed_as_completed"),
    outcomes={
        "ok": (ACCEPTABLE, "the total is the sum of all results"),
        "assertion": (FORBIDDEN, "lost update: two callbacks read the same total"),
    },
)
