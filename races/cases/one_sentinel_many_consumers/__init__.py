"""N consumers stop at a sentinel, but the producer puts only one: the others wait forever."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="One sentinel for many consumers: the rest wait forever",
    bug_class="lost wake-up (missing signal)",
    primitives=("queue.Queue",),
    granularity="line",
    order=36,
    related=("queue_join_missing_task_done", "qsize_check_consumer"),
    fixes=("fixed_sentinel_each",),
    outcomes={
        "ok": (ACCEPTABLE, "every job is done and every consumer stops"),
        "stuck thread": (
            FORBIDDEN,
            "the one sentinel stopped one consumer; the others wait in get() for good",
        ),
    },
)
