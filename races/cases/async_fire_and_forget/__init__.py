"""Fire and forget: a task created and never awaited loses its error, or its work at shutdown."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Fire and forget: the task nobody awaited",
    bug_class="lost work (unsupervised task)",
    primitives=("asyncio.create_task", "asyncio.TaskGroup"),
    granularity="await",
    order=25,
    related=("daemon_thread_lost_work", "pool_lost_exception"),
    broken=("broken", "broken_error"),
    outcomes={
        "ok": (ACCEPTABLE, "every record is saved, and any error reaches the caller"),
        "lost work": (
            FORBIDDEN,
            "a save task was still pending when the program ended: cancelled, its work lost",
        ),
        "thread exception": (FORBIDDEN, "a save task failed and nobody saw the error"),
    },
)
