"""Two threads decrement a shared count with `count -= 1`, and one decrement is lost.

What goes wrong
---------------
`count -= 1` reads like one step, but the interpreter runs it as three instructions:
LOAD_GLOBAL (read `count`), BINARY_OP (subtract), STORE_GLOBAL (write it back). If
another thread runs between the read and the write, both threads compute from the same
old value, and one write overwrites the other.

In the interleaving races prints, below (two threads, `count` starts at 2), every step
is the one line `count -= 1`, and each is tagged with what its instruction does: Thread-1
reads `count` (2) and is preempted before it writes; Thread-2 reads the same 2 and
writes 1; Thread-1 then writes the 1 it computed from its stale read, over Thread-2's.
Thread-2's decrement is lost, and the count ends at 1 instead of 0.

What races prints
-----------------
`races run unlocked_counter` finds it and prints (CPython 3.11):

    Lost update: Thread-1 (decrement) read `count` (broken.py:72), Thread-2 (decrement) wrote `count`
    (broken.py:72), Thread-1 (decrement) wrote `count` (broken.py:72): Thread-2 (decrement)'s update is
    lost

       41 Thread-1 (decrement) count -= 1   (broken.py:72) [read count]
          -- Thread-1 (decrement) is preempted here; MainThread runs
          ... 8 steps
       51 Thread-2 (decrement) count -= 1   (broken.py:72) [read count]
          ... 1 step of Thread-2 (decrement)
       53 Thread-2 (decrement) count -= 1   (broken.py:72) [write count]
          ... 10 steps
       63 Thread-1 (decrement) count -= 1   (broken.py:72) [write count]

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
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        0 of 18 counted runs (0%)
    noise 0.01            20 of 20 counted runs (100%)
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
