"""Workers append to a list kept inside a manager dict: `d["log"].append(x)` is lost.

What goes wrong
---------------
A `Manager().dict()` is a proxy: `d[key] = value` sends the value to the manager process.
But `d["log"]` returns a *copy* of the list stored there, pickled back to the caller, and
`.append(x)` changes that copy, which is then thrown away. The manager never hears of it:

    parent    shared["log"] = []            the manager stores an empty list
    worker 1  shared["log"].append("w1")    fetches a copy, appends to it, drops it
    worker 2  shared["log"].append("w2")    the same
    parent    shared["log"] == []           every entry lost, silently

No timing is involved, and nothing fails where the entries are lost.

The fixes
---------
`fixed_nested_list.py` stores a `manager.list()` in the dict: a proxy inside a proxy,
whose `append` goes to the manager. `fixed_reassign.py` fetches the list, appends and
assigns it back under a lock (`with lock: log = d["log"]; log.append(x); d["log"] = log`):
without the lock, two workers would fetch the same list and one append would be lost.

See also `manager_dict_lost_update`, where `d[key] += 1` through the proxy loses updates.

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


def work(name: str, shared) -> None:  # type: ignore[no-untyped-def]
    shared["log"].append(name)  # appends to a copy of the list


def run(method: str) -> list[str]:
    ctx = multiprocessing.get_context(method)
    with ctx.Manager() as manager:
        shared = manager.dict()
        shared["log"] = []
        workers = [ctx.Process(target=work, args=(f"w{n}", shared)) for n in (1, 2)]
        try:
            for p in workers:
                p.start()
        finally:
            for p in workers:
                p.join(timeout=60)
                if p.is_alive():
                    p.kill()
                    p.join()
        return sorted(shared["log"])


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    log = run(method)
    assert log == ["w1", "w2"], f"the shared log holds {log} of ['w1', 'w2'] ({method})"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    print(f"The shared log after two workers appended: {run('spawn')}")
