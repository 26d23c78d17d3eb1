"""Jobs go to a ProcessPoolExecutor with `submit()`, and the futures are dropped; one raises.

What goes wrong
---------------
A job that raises in a worker process is pickled back to the parent and stored in its
`Future`, to be raised by `future.result()`. Code that submits and forgets never asks:
the error crosses a process boundary to end up in an object nobody reads. Nothing is
printed, and the pool carries on.

Each job notes in a queue that it started, so the loss is proved, not presumed:

    parent      submit(job, 0..4), each with a callback that appends f.result()
    workers     jobs 0..4 note "started"; job 3 raises ValueError
    callback    f.result() raises for job 3: the executor logs "exception calling
                callback" to a logger nobody reads, and carries on
    parent      5 jobs started, 4 results, 0 errors

The fix
-------
`fixed.py` keeps the futures and calls `result()` on each: job 3's ValueError is raised
in the parent, where it is handled. (`as_completed` does the same as jobs finish.)

See also `future_exception_unretrieved` (the same with threads, which races follows into
the future itself) and `pool_lost_exception` (`multiprocessing.Pool`).

Measured on a real interpreter
------------------------------
`races stress`, at most 10 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  10 of 10 counted runs (100%)
    spawn                 10 of 10 counted runs (100%)
    the scheduler         cannot: processes
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def job(n: int, started) -> int:  # type: ignore[no-untyped-def]
    started.put(n)  # evidence that the job ran, whatever happens next
    if n == 3:
        raise ValueError(f"job {n} failed")
    return n * n


def run(method: str) -> tuple[int, list[int], list[str]]:
    """The number of jobs that started, the results that reached the caller, the errors."""
    ctx = multiprocessing.get_context(method)
    with ctx.Manager() as manager:
        started = manager.Queue()
        results: list[int] = []
        errors: list[str] = []
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
            for n in range(5):
                future = pool.submit(job, n, started)
                # Results arrive by callback; for a failed job, f.result() raises inside
                # the callback, which the executor logs and swallows.
                future.add_done_callback(lambda f: results.append(f.result()))
        return started.qsize(), results, errors


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    ran, results, errors = run(method)
    lost = ran - len(results) - len(errors)
    assert lost == 0, f"{lost} of {ran} started jobs left no result and no error ({method})"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    ran, results, errors = run("spawn")
    print(f"{ran} jobs started; results: {sorted(results)}; errors: {errors}")
