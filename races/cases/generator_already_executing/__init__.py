"""Two threads call next() on one generator: one finds it already running, and gets ValueError."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="One generator, two threads: generator already executing",
    bug_class="atomicity violation (unsynchronised shared iterator)",
    primitives=("generator", "threading.Lock", "queue.Queue"),
    granularity="line",
    order=38,
    related=("unlocked_counter", "one_sentinel_many_consumers"),
    fixes=("fixed_lock", "fixed_queue"),
    outcomes={
        "ok": (ACCEPTABLE, "every ticket is handed out once"),
        "thread exception": (
            FORBIDDEN,
            "ValueError: generator already executing: a thread called next() while the "
            "other was inside the generator",
        ),
    },
)
