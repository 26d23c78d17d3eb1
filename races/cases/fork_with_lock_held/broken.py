"""A thread is writing the log, holding its lock, when the parent forks a worker that logs.

What goes wrong
---------------
`fork` copies the parent's whole memory, locks included, but only the thread that called
it: every other thread is simply absent from the child. A lock another thread held at
that instant is copied locked, and nothing in the child will ever release it. Here a
background thread flushes a log buffer under `log_lock` (as a logging handler writes
under its lock); meanwhile the main thread starts a worker process, whose first `log()`
waits forever:

    flusher  takes log_lock, writes the buffer out (0.2 s)
    main     starts the worker: fork copies log_lock, locked, and not the flusher
    flusher  releases log_lock: the parent's copy only
    worker   log("worker 1 started"): acquires its copy of log_lock: waits forever
    main     joins the worker: waits too

Here the main thread waits until the flusher holds the lock before it forks, which makes
certain what a real program meets only when a fork happens to land inside a write. Only
`fork` does this: `spawn` and `forkserver` start the child from a fresh interpreter,
which imports the module and makes a new, free `log_lock`. The same program runs fine
under spawn, as the table below shows. Python 3.12 and later warn when a process with
threads forks ("use of fork() may lead to deadlocks in the child"), but with a
DeprecationWarning, which is not shown by default.

The fixes
---------
`fixed_spawn.py` starts the worker with `spawn`, whatever the platform's default (Python
3.14 makes `forkserver` the default on Linux, for this very reason).
`fixed_fork_first.py` keeps fork and starts the worker before the thread: when the only
thread is the one that forks, every lock the copy holds is held by a thread the child
has. `fixed_register_at_fork.py` keeps fork and the thread, and has each fork take the
lock first, with `os.register_at_fork(before=log_lock.acquire, ...)`: the fork waits for
the write to end, and parent and child each release their copy after it (the `logging`
module guards its own locks this way). It guards this one lock: a library's lock held by
another thread would still be copied locked, which is why 3.12 still warns.

See also `pipe_never_eof`, where a forked child inherits a pipe's write end and waits for
an EOF, and `join_under_lock`, another wait for a thread that cannot release a lock.

Measured on a real interpreter
------------------------------
`races stress`, at most 10 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  2 of 2 counted runs (100%); stopped after 2 hang(s)
    spawn                 0 of 10 counted runs (0%)
    the scheduler         cannot: processes started by fork
"""

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
    log(f"worker {n} started")  # under fork: a copy of log_lock, locked by no thread here


def run(method: str, timeout: float = 60) -> None:
    ctx = multiprocessing.get_context(method)
    writing = threading.Event()
    flusher = threading.Thread(target=flush, args=(writing,))
    flusher.start()
    writing.wait()  # fork while the flusher holds the lock: what a real program hits by chance
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


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    run(method)


def scenario() -> None:
    stress("fork")


if __name__ == "__main__":
    for method in ("spawn", "fork"):
        try:
            run(method, timeout=2)
            print(f"{method}: the worker logged its line and exited.")
        except TimeoutError as exc:
            print(f"{method}: hung: {exc}.")
