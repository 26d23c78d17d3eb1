"""The fix: one Lock held around the whole read-modify-write.

With the lock, a thread that has read `count` always writes it back before any other
thread can read it, so no decrement is computed from a stale value. Every thread must
use the same lock for every access to `count`.
"""

import threading

count = 0
count_lock = threading.Lock()


def decrement(times: int) -> None:
    global count
    for _ in range(times):
        with count_lock:
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
    print(f"8 threads x 100,000 locked decrements: count ends at {left} (expected 0)")


if __name__ == "__main__":
    main()
