"""ProcessPoolExecutor jobs whose futures nobody asks: a job's exception never reaches the caller."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="ProcessPoolExecutor: the exception in a future nobody asked",
    bug_class="lost error (between processes)",
    primitives=("concurrent.futures.ProcessPoolExecutor", "Future.result"),
    order=41,
    related=("future_exception_unretrieved", "pool_lost_exception"),
    fixes=("fixed",),
    outcomes={
        "ok": (ACCEPTABLE, "every job that started gave the caller a result or an error"),
        "assertion": (
            FORBIDDEN,
            "a job started in a worker process, raised, and neither its result nor its "
            "error reached the caller",
        ),
    },
    # Nothing here depends on timing: one run under each start method shows it all.
    stress_runs=2,
    needs=(
        "processes: the jobs run in worker processes, which the in-process scheduler does not "
        "control. `races stress process_pool_lost_exception` shows it under fork and spawn"
    ),
)
