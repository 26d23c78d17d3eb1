"""Jobs go to a thread pool with `submit()`, and the futures are thrown away; one job raises.

What goes wrong
---------------
`ThreadPoolExecutor.submit()` returns a `Future`. When the job raises, the exception is
stored in that future and raised again only by `future.result()` (or returned by
`future.exception()`). Code that submits and forgets never asks, and unlike a thread's
uncaught exception, a future's is not even printed: the error vanishes without a trace.

races keeps track of every future that ends in an exception; one nobody asked about
by the end of the run has lost its error, as asyncio says of a task ("exception was
never retrieved"). In the run races prints, below, MainThread submits `save(1)` and
`save(2)` and drops both futures; ThreadPoolExecutor-0_0 saves record 1, then raises
`ValueError` on record 2, kept in its future; MainThread returns with 1 of 2 records
saved, and no error anywhere.

No particular interleaving is needed: whichever order the jobs run in, the error of the
one that fails is lost.

What races prints
-----------------
`races run future_exception_unretrieved` finds it and prints (CPython 3.11):

    Lost error: ThreadPoolExecutor-0_0 raised ValueError: cannot save record 2 at broken.py:54  `raise ValueError(f"cannot save record {record}")`; no caller heard of it: never retrieved: nobody called result() or exception() on its future

The fixes
---------
`fixed_result.py` keeps the futures and calls `result()` on each: a failure is raised
in the caller, where it is handled. `fixed_as_completed.py` does the same as the jobs
finish, with `as_completed`.

See also `pool_lost_exception` (the same with processes), `thread_exception_lost` and
`async_fire_and_forget` (the same with threads and tasks).

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     0 of 20 counted runs (0%)
    1 us switching        0 of 20 counted runs (0%)
    noise 0.01            0 of 20 counted runs (0%)
    the scheduler         1 schedule(s)
"""

from concurrent.futures import ThreadPoolExecutor

saved: list[int] = []


def save(record: int) -> None:
    if record == 2:
        raise ValueError(f"cannot save record {record}")
    saved.append(record)


def scenario() -> None:
    saved.clear()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for record in (1, 2):
            pool.submit(save, record)  # the future, and any error in it, dropped
    # The caller goes on as if both were saved: not a word about the other one.


if __name__ == "__main__":
    scenario()
    print(f"Saved {len(saved)} of 2 records, and no error was raised or printed.")
