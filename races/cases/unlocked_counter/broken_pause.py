"""The same lost update, with a pause between the read and the write.

`value = count`, then `time.sleep(0)`, then `count = value - 1`. The sleep is any call
that may give up the processor (I/O, logging, a lock elsewhere). Unlike the one-line
`count -= 1` (see `broken.py`), this loses updates on real threads almost every run, and
the scheduler shows it even at line granularity. In the interleaving races prints, below,
Thread-1 reads `count` at `value = count`; Thread-2 reads the same value and writes its
decrement; Thread-1 then writes `value - 1` over it. The fix is the same: a Lock around
the whole read-modify-write (`fixed.py`).

What races prints
-----------------
`races run unlocked_counter --variant broken_pause` finds it and prints (CPython 3.11):

    Lost update: Thread-1 (decrement) read `count` (broken_pause.py:49), Thread-2 (decrement) wrote
    `count` (broken_pause.py:51), Thread-1 (decrement) wrote `count` (broken_pause.py:51): Thread-2
    (decrement)'s update is lost

       41 Thread-1 (decrement) value = count   (broken_pause.py:49) [read count]
          -- Thread-1 (decrement) is preempted here; MainThread runs
          ... 8 steps
       51 Thread-2 (decrement) value = count   (broken_pause.py:49) [read count]
          ... 5 steps of Thread-2 (decrement)
       57 Thread-2 (decrement) count = value - 1   (broken_pause.py:51) [write count]
          ... 14 steps
       71 Thread-1 (decrement) count = value - 1   (broken_pause.py:51) [write count]

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     20 of 20 counted runs (100%)
    1 us switching        20 of 20 counted runs (100%)
    noise 0.01            20 of 20 counted runs (100%)
    the scheduler         2 schedule(s)
"""

import threading
import time

count = 0


def decrement(times: int) -> None:
    global count
    for _ in range(times):
        value = count
        time.sleep(0)
        count = value - 1


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


def stress(threads: int = 100, times: int = 1) -> None:
    """The same program at stress size, for real threads (`races stress unlocked_counter`)."""
    left = run(threads=threads, times=times)
    assert left == 0, f"lost update: {left} decrement(s) lost"


def main() -> None:
    left = run(threads=100, times=1)
    print(f"100 threads x 1 decrement with a pause: count ends at {left} (expected 0)")


if __name__ == "__main__":
    main()
