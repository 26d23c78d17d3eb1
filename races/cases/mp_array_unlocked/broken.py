"""Processes count into the slots of a shared `multiprocessing.Array` with `arr[i] += 1`.

What goes wrong
---------------
`multiprocessing.Array` lives in shared memory and comes with a lock, and each index
read and each index write takes it, but separately: `arr[i] += 1` is a locked read of
slot i, an addition with no lock held, and a locked write back. Two processes can read
the same value before either writes:

    process A  reads arr[0] == 41
    process B  reads arr[0] == 41
    process A  writes arr[0] = 42
    process B  writes arr[0] = 42      one increment lost

Each slot loses updates the way `mp_value_unlocked`'s single value does; an array just
has more of them. Forked processes start at once and lose thousands of increments in
every run; spawned ones each start a fresh interpreter first, overlap for less of their
work, and lose fewer, some runs none (the table below).

The fix
-------
`fixed_lock.py` holds the array's own lock around the update, `with arr.get_lock():`:
one process at a time reads and writes. (Batching the increments locally and adding them
once would take the lock far less often.)

See also `mp_value_unlocked` (one shared value) and `unlocked_counter` (threads).

Measured on a real interpreter
------------------------------
`races stress`, at most 10 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  10 of 10 counted runs (100%)
    spawn                 9 of 10 counted runs (90%)
    the scheduler         cannot: processes
"""

import multiprocessing

SLOTS = 2


def work(counts, times: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(times):
        counts[i % SLOTS] += 1


def run(method: str, processes: int = 4, times: int = 5000) -> list[int]:
    ctx = multiprocessing.get_context(method)
    counts = ctx.Array("i", SLOTS)
    workers = [ctx.Process(target=work, args=(counts, times)) for _ in range(processes)]
    try:
        for p in workers:
            p.start()
    finally:
        for p in workers:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
                p.join()
    return [int(counts[i]) for i in range(SLOTS)]


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    counts = run(method)
    lost = 20000 - sum(counts)
    assert lost == 0, f"lost update ({method}): {lost} of 20000 increments lost, slots {counts}"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    for method in ("fork", "spawn"):
        if method in multiprocessing.get_all_start_methods():
            counts = run(method)
            print(f"{method}: 4 processes x 5000 increments over {SLOTS} slots: {counts}")
    print("(expected 10000 each)")
