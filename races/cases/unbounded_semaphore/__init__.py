"""Unbounded semaphore: an error path releases twice, and more threads get in than there are slots."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Unbounded semaphore: one release too many",
    bug_class="resource leak (over-release)",
    primitives=("threading.Semaphore", "threading.BoundedSemaphore"),
    granularity="line",
    order=3,
    related=("home_made_pool_lost_slot",),
    broken=("broken", "broken_bounded"),
    outcomes={
        "ok": (ACCEPTABLE, "never more than 2 workers inside at once"),
        "assertion": (FORBIDDEN, "3 workers were inside a 2-slot section: the limit silently grew"),
        "thread exception": (
            FORBIDDEN,
            "the error path released twice: a BoundedSemaphore refused it with ValueError, "
            "where it happened",
        ),
    },
    # Four workers: exhaustive to 2 preemptions is 13,902 schedules (a minute); 1 is 209.
)
