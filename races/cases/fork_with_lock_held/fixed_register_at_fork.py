"""Fix: every fork takes log_lock first and releases it on both sides: no copy is held."""

import multiprocessing
import os
import threading
import time

log_lock = threading.Lock()  # guards the log buffer, as a logging handler's lock does
buffer: list[str] = []

# Run around every fork of this process: the forking thread waits for the lock, so no other
# thread holds it at the copy, and the parent and the child each release their own copy.
os.register_at_fork(
    before=log_lock.acquire, after_in_parent=log_lock.release, after_in_child=log_lock.release
)


def log(line: str) -> None:
    with log_lock:
        buffer.append(line)


def flush(writing: threading.Event) -> None:
    with log_lock:
        writing.set()
        time.sleep(0.2)  # writing the buffer out takes a while, under the lock
        buffer.clear()


def work(n: int) -> None:
    log(f"worker {n} started")  # the fork released the child's copy of log_lock


def run(method: str, timeout: float = 60) -> None:
    ctx = multiprocessing.get_context(method)
    writing = threading.Event()
    flusher = threading.Thread(target=flush, args=(writing,))
    flusher.start()
    writing.wait()  # fork while the flusher holds the lock: what a real program hits by chance
    worker = ctx.Process(target=work, args=(1,))
    try:
        worker.start()  # under fork: waits for the flusher to release log_lock
        worker.join(timeout)
        if worker.is_alive():
            raise TimeoutError("the worker is still waiting for log_lock")
    finally:
        flusher.join()
        if worker.is_alive():
            worker.kill()
        worker.join()


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    run(method)


def scenario() -> None:
    stress("fork")


if __name__ == "__main__":
    for method in ("spawn", "fork"):
        run(method)
        print(f"{method}: the worker logged its line and exited.")
