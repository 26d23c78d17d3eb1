"""Fix: fork the worker before starting the thread: no other thread holds log_lock at the copy."""

import multiprocessing
import threading
import time

log_lock = threading.Lock()  # guards the log buffer, as a logging handler's lock does
buffer: list[str] = []


def log(line: str) -> None:
    with log_lock:
        buffer.append(line)


def flush(writing: threading.Event) -> None:
    with log_lock:
        writing.set()
        time.sleep(0.2)  # writing the buffer out takes a while, under the lock
        buffer.clear()


def work(n: int) -> None:
    log(f"worker {n} started")  # forked before any thread: its copy of log_lock is free


def run(method: str, timeout: float = 60) -> None:
    ctx = multiprocessing.get_context(method)
    worker = ctx.Process(target=work, args=(1,))
    worker.start()  # processes first, while the main thread is the only thread
    writing = threading.Event()
    flusher = threading.Thread(target=flush, args=(writing,))
    flusher.start()
    writing.wait()
    try:
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
