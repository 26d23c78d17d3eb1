"""The same lost update, with a pause between the read and the write.

`value = count`, then `time.sleep(0)`, then `count = value - 1`. The sleep is any call
that may give up the processor (I/O, logging, a lock elsewhere). Unlike the one-line
`count -= 1` (see `broken.py`), this loses updates on real threads almost every run, and
the scheduler shows it even at line granularity. The fix is the same: a Lock around the
whole read-modify-write (`fixed.py`).

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     100% of 20
    1 us switching        100% of 20
    noise 0.01            100% of 20
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
