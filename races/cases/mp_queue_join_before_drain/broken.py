"""The parent joins a child that has put large items on a Queue, before reading them: deadlock.

What goes wrong
---------------
A process that has put items on a `multiprocessing.Queue` does not exit until a feeder
thread has written them all into the underlying pipe. The pipe holds only so much (64 KiB
on Linux), so with large items the feeder waits for someone to read. The parent, meanwhile,
waits in `join()` for the child to exit before it reads anything. Each waits for the other.
The documentation warns about this ("joining processes that use queues"); it hangs only
when the data outgrows the pipe, which is why it survives small tests.

The fix
-------
`fixed.py` drains the queue first (it knows how many items to expect), then joins.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  2 of 2 counted runs (100%); stopped after 2 hang(s)
    spawn                 2 of 2 counted runs (100%); stopped after 2 hang(s)
    the scheduler         cannot: processes
"""

import multiprocessing

ITEMS = 4
SIZE = 100_000  # bytes per item: more than a pipe holds


def produce(queue) -> None:  # type: ignore[no-untyped-def]
    for _ in range(ITEMS):
        queue.put(bytes(SIZE))


def run(method: str, timeout: float | None = None) -> int:
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    child = ctx.Process(target=produce, args=(queue,))
    child.start()
    try:
        child.join(timeout)  # waits for a child that waits for us to read
        if child.is_alive():
            raise AssertionError("deadlock: join() waited for a child blocked on a full pipe")
        return sum(len(queue.get()) for _ in range(ITEMS))
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        queue.close()
        queue.cancel_join_thread()


def scenario() -> None:
    run("spawn")


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    run(method)


if __name__ == "__main__":
    try:
        run("spawn", timeout=2)
        print("Done.")
    except AssertionError as exc:
        print(exc)
