"""Processes increment a shared `multiprocessing.Value` with `v.value += 1`: updates are lost.

What goes wrong
---------------
A `Value` lives in shared memory and comes with a lock, but `v.value += 1` does not use
it: it reads the value (one locked access), adds one in the process, and writes it back
(another locked access). Two processes can read the same value between each other's read
and write, exactly like `unlocked_counter`, except that processes run truly in parallel:
no GIL hides the race, so stress shows it in nearly every run.

    Process-1  read v.value     41
    Process-2  read v.value     41
    Process-1  write 42
    Process-2  write 42         one increment lost

The fix
-------
`fixed.py` holds the Value's own lock across the read-modify-write: `with v.get_lock():`.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  16 of 20 counted runs (80%)
    spawn                 6 of 20 counted runs (30%)
    the scheduler         cannot: processes
"""

import multiprocessing


def work(counter, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        counter.value += 1


def run(method: str, processes: int = 4, times: int = 5000) -> int:
    ctx = multiprocessing.get_context(method)
    counter = ctx.Value("i", 0)
    workers = [ctx.Process(target=work, args=(counter, times)) for _ in range(processes)]
    try:
        for p in workers:
            p.start()
    finally:
        for p in workers:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
                p.join()
    return int(counter.value)


def scenario() -> None:
    total = run("spawn", processes=2, times=1000)
    assert total == 2000, f"lost update: {2000 - total} increments lost"


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    total = run(method)
    assert total == 20000, f"lost update ({method}): {20000 - total} of 20000 increments lost"


if __name__ == "__main__":
    print(f"4 processes x 5000 increments: {run('spawn')} (expected 20000)")
