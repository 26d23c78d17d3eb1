"""Pool.apply_async tasks that raise, with nobody calling get(): the errors vanish."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Pool.apply_async: the exception nobody asked for",
    bug_class="lost error",
    primitives=("multiprocessing.Pool.apply_async",),
    order=31,
    related=("async_fire_and_forget", "home_made_pool_lost_slot"),
    outcomes={
        "ok": (ACCEPTABLE, "every failed task is reported"),
        "assertion": (FORBIDDEN, "a task failed and the error was silently lost"),
    },
    needs=(
        "processes: the tasks run in pool processes, which the in-process scheduler does not "
        "control. `races stress pool_lost_exception` shows it on real processes"
    ),
)
