"""asyncio.Queue.join never returns: a worker skips task_done() on its error path."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="asyncio.Queue.join without task_done",
    bug_class="lost wake-up (missing signal)",
    primitives=("asyncio.Queue.join", "asyncio.Queue.task_done"),
    granularity="await",
    order=23,
    related=("queue_join_missing_task_done",),
    outcomes={
        "ok": (ACCEPTABLE, "every job is marked done and join() returns"),
        "stuck thread": (FORBIDDEN, "join() waits for a task_done() that never comes"),
    },
)
