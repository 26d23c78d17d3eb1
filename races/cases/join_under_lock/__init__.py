"""Join under lock: the main thread holds a lock and joins a worker that needs it."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Join under lock: waiting for a thread that waits for you",
    bug_class="deadlock (join)",
    primitives=("threading.Thread.join", "threading.Lock"),
    granularity="line",
    order=4,
    related=("lock_order_deadlock", "lock_reentry"),
    outcomes={
        "ok": (ACCEPTABLE, "the worker finishes and is joined"),
        "deadlock": (
            FORBIDDEN,
            "the main thread waits for the worker, which waits for the main thread's lock",
        ),
    },
)
