"""A consumer that loops `while q.qsize() > 0` may start before the producer and quit early."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="qsize() as a loop condition: the consumer that quits too early",
    bug_class="order violation",
    primitives=("queue.Queue.qsize", "queue.Queue.join"),
    granularity="line",
    order=6,
    related=("queue_join_missing_task_done", "empty_then_get"),
    outcomes={
        "ok": (ACCEPTABLE, "the consumer handles every item and the producer's join() returns"),
        "stuck thread": (
            FORBIDDEN,
            "the consumer left before the items came; join() waits forever",
        ),
    },
)
