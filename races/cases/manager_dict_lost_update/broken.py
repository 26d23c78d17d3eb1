"""Processes count hits in a `Manager().dict()` with `d["hits"] += 1`: updates are lost.

What goes wrong
---------------
Each access to a manager proxy is a round trip to the manager process, and each round
trip is atomic, but `d["hits"] += 1` is two of them: a `__getitem__` and a `__setitem__`.
Between them, other processes read the same count. The manager serialises the requests,
not the read-modify-write.

The fix
-------
`fixed.py` takes a lock from the same manager (`manager.Lock()`) around both requests.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  20 of 20 counted runs (100%)
    spawn                 17 of 20 counted runs (85%)
    the scheduler         cannot: processes
"""

import multiprocessing


def work(hits, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        hits["hits"] += 1


def run(method: str, processes: int = 3, times: int = 300) -> int:
    ctx = multiprocessing.get_context(method)
    with ctx.Manager() as manager:
        hits = manager.dict(hits=0)
        workers = [ctx.Process(target=work, args=(hits, times)) for _ in range(processes)]
        try:
            for p in workers:
                p.start()
        finally:
            for p in workers:
                p.join(timeout=60)
                if p.is_alive():
                    p.kill()
                    p.join()
        return int(hits["hits"])


def scenario() -> None:
    total = run("spawn", processes=2, times=100)
    assert total == 200, f"lost update: {200 - total} hits lost"


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    total = run(method)
    assert total == 900, f"lost update ({method}): {900 - total} of 900 hits lost"


if __name__ == "__main__":
    print(f"3 processes x 300 hits through a manager dict: {run('spawn')} (expected 900)")
