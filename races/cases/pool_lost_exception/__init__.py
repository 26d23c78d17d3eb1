"""Pool.apply_async tasks that raise, with nobody calling get(): the errors vanish."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Pool.apply_async: the exception nobody asked for",
    bug_class="lost error",
    primitives=("multiprocessing.Pool.apply_async",),
    order=31,
    related=("async_fire_and_forget", "home_made_pool_lost_slot"),
    fixes=("fixed", "fixed_error_callback"),
    outcomes={
        "ok": (ACCEPTABLE, "every job that started gave the caller a result or an error"),
        "assertion": (
            FORBIDDEN,
            "a job started, raised, and neither its result nor its error reached the caller",
        ),
    },
    # Nothing here depends on timing: one run under each start method shows it all.
    stress_runs=2,
    needs=(
        "processes: the tasks run in pool processes, which the in-process scheduler does not "
        "control. `races stress pool_lost_exception` shows it on real processes"
    ),
)
