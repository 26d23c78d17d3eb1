"""Jobs are submitted with `apply_async` and their results never collected; one job raises.

What goes wrong
---------------
`apply_async` returns an `AsyncResult`; the job's exception is stored in it and raised
only by `get()`. Code that fires jobs and keeps only what a `callback` hands it never
calls `get()`, and `callback` is called for successes only: a failing job fails silently,
with no traceback and no log line, and the pool carries on.

Here each job leaves a note in a queue before it does its work, so the loss is proved,
not presumed. Five jobs run; job 3 raises:

    job 0..4   each notes "started" in the queue
    job 3      raises ValueError: stored in its AsyncResult, which nobody reads
    callback   called for jobs 0, 1, 2, 4 only (a callback never sees an error)
    caller     4 results, 0 errors: job 3 started and left no trace

The fixes
---------
`fixed.py` keeps the AsyncResults and calls `get()` on each: a failure is raised right
there, in the caller. `fixed_error_callback.py` keeps the fire-and-forget shape and adds
`error_callback=`, which the pool calls with the exception of each failed job. Either
way every job that started is accounted for: a result or an error.

See also `process_pool_lost_exception` and `future_exception_unretrieved`, the same loss
with `concurrent.futures`, and `async_fire_and_forget`, with asyncio tasks.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  20 of 20 counted runs (100%)
    spawn                 20 of 20 counted runs (100%)
    the scheduler         cannot: processes
"""

import multiprocessing


def job(n: int, started) -> int:  # type: ignore[no-untyped-def]
    started.put(n)  # evidence that the job ran, whatever happens next
    if n == 3:
        raise ValueError(f"job {n} failed")
    return n * n


def run(method: str) -> tuple[list[int], list[int], list[str]]:
    """Returns the jobs that started, the results that reached the caller, and the errors."""
    ctx = multiprocessing.get_context(method)
    manager = ctx.Manager()
    with manager:
        started = manager.Queue()
        results: list[int] = []
        errors: list[str] = []
        with ctx.Pool(2) as pool:
            for n in range(5):
                pool.apply_async(job, (n, started), callback=results.append)
            pool.close()
            pool.join()
        ran = sorted(started.get() for _ in range(started.qsize()))
    return ran, results, errors


def check(method: str) -> None:
    ran, results, errors = run(method)
    lost = len(ran) - len(results) - len(errors)
    assert lost == 0, (
        f"{lost} of {len(ran)} started jobs left no result and no error ({method}): "
        f"{len(results)} results, {len(errors)} errors"
    )


def scenario() -> None:
    check("spawn")


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    check(method)


if __name__ == "__main__":
    ran, results, errors = run("spawn")
    print(f"Jobs started: {ran}; results: {sorted(results)}; errors: {errors}")
