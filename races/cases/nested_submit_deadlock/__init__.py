"""A task on a full thread pool submits another task and waits for it: the pool deadlocks."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Nested submit: a pool task waits for a task queued behind it",
    bug_class="deadlock (resource starvation)",
    primitives=("concurrent.futures.ThreadPoolExecutor", "Future.result"),
    granularity="line",
    order=39,
    related=("join_under_lock", "home_made_pool_lost_slot"),
    fixes=("fixed_inline", "fixed_two_pools"),
    outcomes={
        "ok": (ACCEPTABLE, "every report is built"),
        "stuck thread": (
            FORBIDDEN,
            "every worker waits for a task that is queued behind it, and no worker is left "
            "to run it",
        ),
    },
)
