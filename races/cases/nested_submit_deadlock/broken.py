"""A report task, running on a thread pool, submits its parts to the same pool and waits.

What goes wrong
---------------
`ThreadPoolExecutor(max_workers=1)` has one worker. The caller submits `report()`; the
worker runs it. `report()` submits `part()` to the same pool and calls `.result()` on it.
`part()` waits in the pool's queue for a free worker, but the only worker is the one
waiting in `.result()`. In the report races prints, below, MainThread waits in
`.result()` for `report()`, and the pool's only worker, ThreadPoolExecutor-0_0, runs
`report()` and waits in `pending.result()` for `part()`, queued behind it: nothing can
run.

No particular interleaving is needed: with N workers, N reports running at once starve
their own parts the same way, which is how it shows in production (under load, when
every worker happens to run a report), and never in a test with one request.

What races prints
-----------------
`races run nested_submit_deadlock` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in _future_methods.<locals>.result for a notify/put/set that no running thread can make, at broken.py:60  `total = pool.submit(report, pool).result()`
      ThreadPoolExecutor-0_0 waits in _future_methods.<locals>.result for a notify/put/set that no running thread can make, at broken.py:55  `return pending.result()  # waits for a worker: this one`

The fixes
---------
`fixed_inline.py` calls `part()` directly inside `report()`: work a task needs right
away is not a task of its own. `fixed_two_pools.py` keeps the parts concurrent, on a
second pool: a task may wait for work on another pool, never for work queued on its own.

See also `join_under_lock` (waiting for a thread that waits for you) and
`home_made_pool_lost_slot`.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 2 counted runs (100%); stopped after 2 hang(s)
    1 us switching        2 of 2 counted runs (100%); stopped after 2 hang(s)
    noise 0.01            2 of 2 counted runs (100%); stopped after 2 hang(s)
    the scheduler         1 schedule(s)
"""

from concurrent.futures import ThreadPoolExecutor


def part(n: int) -> int:
    return n * n


def report(pool: ThreadPoolExecutor) -> int:
    pending = pool.submit(part, 3)  # queued on the pool this very task occupies
    return pending.result()  # waits for a worker: this one


def scenario() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        total = pool.submit(report, pool).result()
    assert total == 9


if __name__ == "__main__":
    import threading

    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    print("Deadlocked: the only worker waits for itself." if runner.is_alive() else "Done.")
