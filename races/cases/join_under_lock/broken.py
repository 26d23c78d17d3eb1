"""The main thread holds the results lock while it joins the worker that must take that lock.

What goes wrong
---------------
`join()` waits until the worker ends; the worker needs `results_lock` to record its
result; the main thread holds `results_lock` during the join. Each waits for the other.
Whether it hangs depends on timing: if the worker records its result before the main
thread takes the lock, everything works, which is why such code passes tests.

It hangs when MainThread takes the lock before the worker reaches its own
`with results_lock:`. races prints where each thread then waits, below: MainThread holds
`results_lock` and waits in `t.join()` for Thread-1 (worker), which waits for
`results_lock`. A two-thread cycle: MainThread -> Thread-1 (join) -> MainThread (lock).

What races prints
-----------------
`races run join_under_lock` finds it and prints (CPython 3.11):

    Deadlock: these threads wait for each other in a cycle:
      MainThread
        holds results_lock (Lock) (acquired at broken.py:58  `with results_lock:`)
        waits in Thread.join for Thread-1 (worker) to finish, at broken.py:59  `t.join()`
      Thread-1 (worker) waits in Lock.acquire for results_lock (Lock) (held by MainThread), at broken.py:50  `with results_lock:`

The fix
-------
`fixed.py` joins first and takes the lock afterwards: never wait for a thread while
holding something that thread may need.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     0 of 20 counted runs (0%)
    1 us switching        0 of 20 counted runs (0%)
    noise 0.01            0 of 20 counted runs (0%)
    the scheduler         3 schedule(s)
"""

import threading

results: list[int] = []
results_lock = threading.Lock()


def worker() -> None:
    value = 6 * 7
    with results_lock:
        results.append(value)


def scenario() -> None:
    results.clear()
    t = threading.Thread(target=worker)
    t.start()
    with results_lock:
        t.join()
        assert results == [42]


def main() -> None:
    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    print(
        "Hung: joined a worker while holding its lock." if runner.is_alive() else f"Done: {results}"
    )


if __name__ == "__main__":
    main()
