"""Worker threads save orders; one raises, `join()` returns all the same, and the caller never hears.

What goes wrong
---------------
An exception that escapes a thread's target ends that thread and nothing else.
`threading.excepthook` prints its traceback to stderr, and `join()` returns exactly as it
does for a thread that finished its work: it has no result and raises nothing. Unless the
thread hands its error over, the code that started it cannot know it failed.

`save_all` starts one thread per order, joins them and returns what they saved. One
order is bad, its thread dies, and `save_all` returns normally with that order missing.
The losing run needs no particular interleaving, only a bad order. In the one races
prints, below, Thread-1 saves "17" and Thread-2 raises `ValueError: bad order 'x9'`:
races stops there, at the exception nobody caught ("thread exception"). Left to run,
`threading.excepthook` prints it and the thread ends; both `join()`s return, and nothing
says Thread-2 failed. `save_all` returns `["17"]`, and the caller goes on as if every
order were saved.

On a real interpreter the traceback scrolls past on stderr and the program carries on:
`python -m races.cases.thread_exception_lost.broken`. Every run with a bad order loses
its error, however the threads interleave; but `races stress` counts only runs whose
threads overlapped, and threads this short never do at the default switch interval:
the table below counts runs where switching was forced.

What races prints
-----------------
`races run thread_exception_lost` finds it and prints (CPython 3.11):

    Uncaught exception: Thread-2 (save) raised ValueError: bad order 'x9' at broken.py:59  `raise ValueError(f"bad order {order!r}")`; no caller heard of it: threading.excepthook prints it, the thread ends, and the program goes on

The fixes
---------
`fixed_errors_list.py` catches the exception inside the thread and appends it to an
`errors` list; after the joins, `save_all` raises the first error in the caller's
thread. `fixed_futures.py` submits the work to a `ThreadPoolExecutor`: a task's
exception is kept in its future, and `future.result()` raises it again in the caller.
Either way the error travels with the result, to the thread that needs it.

See also `pool_lost_exception` (the same loss with process pools) and
`async_fire_and_forget` (with asyncio tasks).

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        2 of 2 counted runs (100%)
    noise 0.01            20 of 20 counted runs (100%)
    the scheduler         1 schedule(s)
"""

import threading


def save(order: str, saved: list[str]) -> None:
    if not order.isdigit():
        raise ValueError(f"bad order {order!r}")
    saved.append(order)


def save_all(orders: list[str]) -> list[str]:
    """Save every order, each in its own thread; return the orders saved."""
    saved: list[str] = []
    workers = [threading.Thread(target=save, args=(order, saved)) for order in orders]
    for w in workers:
        w.start()
    for w in workers:
        w.join()  # returns the same way when the thread died of an exception
    return saved


def place(orders: list[str]) -> None:
    try:
        saved = save_all(orders)
    except ValueError:
        return  # the caller heard of the failure: it can retry, or tell the user
    missing = sorted(set(orders) - set(saved))
    assert not missing, f"save_all returned normally, but {missing} were not saved"


def scenario() -> None:
    place(["17", "x9"])


def stress(orders: int = 100) -> None:
    """The same program at stress size, for real threads (`races stress thread_exception_lost`)."""
    place([str(n) for n in range(orders - 1)] + ["x9"])


def main() -> None:
    orders = ["17", "x9"]
    try:
        saved = save_all(orders)
    except ValueError as exc:
        print(f"The caller heard: {exc}")
    else:
        print(f"save_all returned {saved} for {orders}, and raised nothing.")


if __name__ == "__main__":
    main()
