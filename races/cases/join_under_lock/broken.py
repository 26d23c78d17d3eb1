"""The main thread holds the results lock while it joins the worker that must take that lock.

What goes wrong
---------------
`join()` waits until the worker ends; the worker needs `results_lock` to record its
result; the main thread holds `results_lock` during the join. Each waits for the other.
Whether it hangs depends on timing: if the worker records its result before the main
thread takes the lock, everything works, which is why such code passes tests.

The losing interleaving:

    MainThread  start the worker
    MainThread  with results_lock        holds the lock
    MainThread  worker.join()            waits for the worker to finish
    Thread-1    with results_lock        waits for the lock (held by MainThread)

A two-thread cycle: MainThread -> Thread-1 (join) -> MainThread (lock).

The fix
-------
`fixed.py` joins first and takes the lock afterwards: never wait for a thread while
holding something that thread may need.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     0% of 20
    1 us switching        0% of 20
    noise 0.01            0% of 20
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
