"""Tasks take a slot from a queue of slots and put it back when done; a task that raises never does.

What goes wrong
---------------
The pool has one slot. A task takes it, runs, and puts it back on the last line of the
happy path. When the task raises, that line never runs: the slot is gone, and the next
task waits in `slots.get()` forever. With more slots the pool just shrinks, one failure
at a time, until it runs dry.

The losing run needs no particular interleaving, only a failing task:

    Task-1  slots.get()        takes the only slot
    Task-1  raises             slot never returned
    Task-2  slots.get()        waits forever

The fixes
---------
`fixed_finally.py` returns the slot in a `finally:` block. `fixed_executor.py` does not
build a pool at all: `ThreadPoolExecutor` manages its workers, and a task's exception is
kept in its future instead of killing anything.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     100% of 2
    1 us switching        100% of 2
    noise 0.01            100% of 2
    the scheduler         1 schedule(s)
"""

import queue
import threading

done: list[str] = []


def task(name: str, slots: "queue.Queue[int]") -> None:
    slot = slots.get()
    if name == "bad":
        raise ValueError(f"task {name} failed")
    done.append(name)
    slots.put(slot)


def scenario() -> None:
    done.clear()
    slots: queue.Queue[int] = queue.Queue()
    slots.put(0)
    for name in ("bad", "good"):
        t = threading.Thread(target=lambda n=name: _quietly(task, n, slots))
        t.start()
        t.join()
    assert done == ["good"]


def _quietly(fn, *args) -> None:  # type: ignore[no-untyped-def]
    try:
        fn(*args)
    except ValueError:
        pass  # the pool logs and carries on


if __name__ == "__main__":
    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    print("Hung: the only slot was lost." if runner.is_alive() else f"Done: {done}")
