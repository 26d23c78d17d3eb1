"""Fix: start the worker with spawn: a fresh interpreter, with a fresh, free log_lock."""

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
    log(f"worker {n} started")  # the child imported this module: its own log_lock, free


def run(timeout: float = 60) -> None:
    ctx = multiprocessing.get_context("spawn")  # never fork a process that has threads
    writing = threading.Event()
    flusher = threading.Thread(target=flush, args=(writing,))
    flusher.start()
    writing.wait()  # start the worker while the flusher holds the lock: harmless now
    worker = ctx.Process(target=work, args=(1,))
    try:
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise TimeoutError("the worker is still waiting for log_lock")
    finally:
        flusher.join()
        if worker.is_alive():
            worker.kill()
        worker.join()


def stress() -> None:
    """One run on real processes. It takes no start method: choosing spawn is the fix."""
    run()


def scenario() -> None:
    stress()


if __name__ == "__main__":
    run()
    print("spawn: the worker logged its line and exited.")
