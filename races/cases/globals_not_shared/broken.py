"""Worker processes append their results to a module-level list the parent then reads.

What goes wrong
---------------
Threads share one memory; processes do not. A child started with `fork` gets a copy of
the parent's memory, one started with `spawn` imports the module afresh: either way the
child's `results` is its own list, and what it appends never reaches the parent's:

    parent   results = [], starts 3 workers
    child 1  results.append(1)      its own copy: [1]
    child 2  results.append(4)      its own copy: [4]
    child 3  results.append(9)      its own copy: [9]
    parent   results == []          nothing came back

No timing is involved: the results are lost every time, under both start methods.
What makes it a classic is that the same code is correct with threads.

The fixes
---------
A result must travel to the parent through a channel between processes.
`fixed_queue.py` sends each result back on a `multiprocessing.Queue`, read before the
joins. `fixed_pool.py` lets a `Pool` do it: each worker returns its result, and
`pool.map` hands the parent the return values. (A shared `Value` or `Array`, or a
manager's proxies, are the other ways.)

See also `manager_dict_lost_update` and `mp_value_unlocked`: shared state between
processes exists, but only through such objects, and it still needs a lock.

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

results: list[int] = []


def work(n: int) -> None:
    results.append(n * n)  # this process's own list


def run(method: str) -> list[int]:
    ctx = multiprocessing.get_context(method)
    results.clear()
    workers = [ctx.Process(target=work, args=(n,)) for n in (1, 2, 3)]
    try:
        for p in workers:
            p.start()
    finally:
        for p in workers:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
                p.join()
    return sorted(results)


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    got = run(method)
    assert got == [1, 4, 9], f"the parent saw {got} of [1, 4, 9] ({method})"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    print(f"The parent's list after 3 workers appended to it: {run('spawn')}")
