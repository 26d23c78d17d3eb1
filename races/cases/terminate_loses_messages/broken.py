"""Writers put messages on a queue; once they are joined, the parent terminates the reader.

What goes wrong
---------------
"The writers are done" does not mean "the reader is done". When the last writer exits,
its messages may still be in the pipe, or read but not yet handled: here handling one
takes a millisecond, writing one far less, so the reader is always behind. `terminate()` kills
the reader wherever it is: the remaining messages are simply gone, and nothing reports it.

Wherever it is includes inside `with handled.get_lock():`. Killed there, the reader never
gives the count's lock back, and the parent's `handled.value` (which takes that lock) waits
for ever: a hang, in about one run in sixty here (1 of 60, fork and spawn). The
`multiprocessing` documentation warns of both: a terminated process's pipes and queues may
be corrupted, and the locks it holds are never released.

The fix
-------
`fixed.py` tells the reader that the work is over with a sentinel, put after every
writer has been joined, and waits for the reader to finish with a normal `join()`.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  20 of 20 counted runs (100%)
    spawn                 20 of 20 counted runs (100%)
    the scheduler         cannot: processes
"""

import multiprocessing
import time

WRITERS = 2
MESSAGES = 100


def write(queue, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(MESSAGES):
        queue.put((n, i))


def read(queue, handled) -> None:  # type: ignore[no-untyped-def]
    while True:
        queue.get()
        time.sleep(0.001)  # handling a message takes longer than writing one
        with handled.get_lock():
            handled.value += 1


def run(method: str) -> int:
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    handled = ctx.Value("i", 0)
    reader = ctx.Process(target=read, args=(queue, handled))
    writers = [ctx.Process(target=write, args=(queue, n)) for n in range(WRITERS)]
    reader.start()
    for w in writers:
        w.start()
    try:
        for w in writers:
            w.join(timeout=60)
    finally:
        reader.terminate()  # the writers are done, so surely the reader is too?
        reader.join()
        for w in writers:
            if w.is_alive():
                w.kill()
            w.join()
        queue.close()
        queue.cancel_join_thread()
    return int(handled.value)


def scenario() -> None:
    handled = run("spawn")
    assert handled == WRITERS * MESSAGES, f"{WRITERS * MESSAGES - handled} messages lost"


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    handled = run(method)
    assert handled == WRITERS * MESSAGES, f"{WRITERS * MESSAGES - handled} messages lost ({method})"


if __name__ == "__main__":
    print(f"Handled {run('spawn')} of {WRITERS * MESSAGES} messages.")
