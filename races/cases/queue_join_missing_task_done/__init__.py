"""Queue.join never returns: a consumer skips task_done() on its error path."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Queue.join without task_done: waiting for work that was never marked done",
    bug_class="lost wake-up (missing signal)",
    primitives=("queue.Queue.join", "queue.Queue.task_done"),
    granularity="line",
    order=5,
    related=("qsize_check_consumer", "home_made_pool_lost_slot"),
    outcomes={
        "ok": (ACCEPTABLE, "every job is marked done and join() returns"),
        "stuck thread": (FORBIDDEN, "join() waits for a task_done() that never comes"),
    },
)
