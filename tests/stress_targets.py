"""Real-thread programs for the stress harness tests: each has one known outcome."""

from __future__ import annotations

import threading


def sequential_threads() -> None:
    """Threads that never run at the same time: no evidence, whatever the outcome."""
    for _ in range(2):
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()


def thread_raises() -> None:
    def worker() -> None:
        raise ValueError("worker failed")

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def noisy_assertion() -> None:
    print("scenario output must not confuse the harness")
    threads = [threading.Thread(target=print, args=("from a thread",)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    raise AssertionError("always wrong")


def self_deadlock() -> None:
    lock = threading.Lock()
    with lock:
        with lock:
            pass


def hang_until_interrupted() -> None:
    """A hang with a name of its own, so a test can find its processes."""
    self_deadlock()
