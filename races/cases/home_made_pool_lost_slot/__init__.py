"""A home-made thread pool: each worker that meets a failing job quits, until none is left."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Home-made thread pool: the worker that never came back",
    bug_class="resource leak",
    primitives=("queue.Queue", "concurrent.futures.ThreadPoolExecutor"),
    granularity="line",
    order=18,
    related=("unbounded_semaphore", "queue_join_missing_task_done"),
    fixes=("fixed_finally", "fixed_executor"),
    outcomes={
        "ok": (ACCEPTABLE, "every job runs and its outcome reaches the caller"),
        "stuck thread": (
            FORBIDDEN,
            "the pool ran dry: every worker quit at a failing job, and a job waits forever",
        ),
    },
)
