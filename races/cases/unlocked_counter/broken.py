"""Two threads decrement a shared count with `count -= 1`, and one decrement is lost.

What goes wrong
---------------
`count -= 1` reads like one step, but the interpreter runs it as three instructions:
LOAD_GLOBAL (read `count`), BINARY_OP (subtract), STORE_GLOBAL (write it back). If
another thread runs between the read and the write, both threads compute from the same
old value, and one write overwrites the other.

The losing interleaving (two threads, `count` starts at 2):

    Thread-1  LOAD_GLOBAL count     reads 2
              -- preempted --
    Thread-2  LOAD_GLOBAL count     reads 2
    Thread-2  BINARY_OP -=          computes 1
    Thread-2  STORE_GLOBAL count    writes 1
              -- Thread-1 resumes --
    Thread-1  BINARY_OP -=          computes 1 (from the 2 it read)
    Thread-1  STORE_GLOBAL count    writes 1: Thread-2's decrement is lost

The count ends at 1 instead of 0.

Why it "always works" when you try it
-------------------------------------
On CPython 3.11 to 3.13, run `python -m races.cases.unlocked_counter.broken`: eight
threads doing 100,000 decrements each will almost certainly end at exactly 0, even with
`sys.setswitchinterval(1e-6)`. Since 3.10 the interpreter only considers switching
threads at certain instructions (backward jumps, calls), never between this load and this
store. So plain stress testing shows nothing, and tutorials conclude that Python 3 makes
`+=` atomic. It does not: it is a property of this build's scheduling, not a guarantee.
Free-threaded builds, other interpreters, and any change that puts a call between the
read and the write (see `broken_pause.py`) lose updates. A scheduler that may switch
before any instruction shows the bug every time: `races run unlocked_counter`.
Line granularity cannot show it, because the whole read-modify-write is one line.

The fix
-------
`fixed.py` holds a Lock around the read-modify-write. No thread can read `count` while
another is between its read and its write, so every decrement starts from the value the
previous one wrote. That is enough because every access to `count` takes the same lock.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     - (0 of 20)
    1 us switching        0% of 18
    noise 0.01            100% of 20
    the scheduler         7 schedule(s)
"""

import threading

count = 0


def decrement(times: int) -> None:
    global count
    for _ in range(times):
        count -= 1


def run(threads: int, times: int) -> int:
    global count
    count = threads * times
    workers = [threading.Thread(target=decrement, args=(times,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return count


def scenario() -> None:
    left = run(threads=2, times=1)
    assert left == 0, f"lost update: {left} decrement(s) lost"


def stress(threads: int = 4, times: int = 10_000) -> None:
    """The same program at stress size, for real threads (`races stress unlocked_counter`)."""
    left = run(threads=threads, times=times)
    assert left == 0, f"lost update: {left} decrement(s) lost"


def main() -> None:
    left = run(threads=8, times=100_000)
    print(f"8 threads x 100,000 decrements: count ends at {left} (expected 0)")
    if left == 0:
        print("No update was lost this time; `races run unlocked_counter` shows how one can be.")


if __name__ == "__main__":
    main()
