"""A home-made pool hands out slots from a queue; a failing task never gives its slot back."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Home-made thread pool: the slot that never came back",
    bug_class="resource leak",
    primitives=("queue.Queue", "concurrent.futures.ThreadPoolExecutor"),
    granularity="line",
    order=18,
    related=("unbounded_semaphore", "queue_join_missing_task_done"),
    fixes=("fixed_finally", "fixed_executor"),
    outcomes={
        "ok": (ACCEPTABLE, "every task gets a slot and runs"),
        "stuck thread": (
            FORBIDDEN,
            "the pool ran dry: a task waits for a slot that a failed task kept",
        ),
    },
)
