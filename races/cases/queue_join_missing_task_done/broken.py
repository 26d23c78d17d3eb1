"""A consumer that skips `task_done()` when a job fails, so `Queue.join()` never returns.

What goes wrong
---------------
`Queue.join()` waits until every `put()` has been matched by a `task_done()`. The
consumer calls `task_done()` at the end of the happy path, but a job that raises jumps
to the `except` block and `continue`s without it. One unmatched job, and `join()`
waits forever: nobody left can call `task_done()`.

The losing run is every run that contains a bad job (no interleaving needed):

    MainThread  put("ok"), put("bad"), put("ok")
    MainThread  jobs.join()                   waits for 3 task_done() calls
    Thread-1    "ok": task_done()              2 left
    Thread-1    "bad": raises, except, continue - no task_done()
    Thread-1    "ok": task_done()              1 left, forever
    Thread-1    jobs.get()                     waits for a job that never comes

Both threads wait; nothing can wake either. races reports MainThread stuck in
`Queue.join` at its line.

The fix
-------
`fixed.py` calls `task_done()` in a `finally:` block, so every job is marked done
whatever happens to it.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     100% of 2
    1 us switching        100% of 2
    noise 0.01            100% of 2
    the scheduler         1 schedule(s)
"""

import queue
import threading

jobs: "queue.Queue[str]" = queue.Queue()
done: list[str] = []


def process(job: str) -> str:
    if job == "bad":
        raise ValueError("cannot process a bad job")
    return job.upper()


def consumer() -> None:
    while True:
        job = jobs.get()
        try:
            done.append(process(job))
        except ValueError:
            continue  # the error path forgets task_done()
        jobs.task_done()


def scenario() -> None:
    done.clear()
    threading.Thread(target=consumer, daemon=True).start()
    for job in ("ok", "bad", "ok"):
        jobs.put(job)
    jobs.join()


def main() -> None:
    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    print("Hung in jobs.join(): a job was never marked done." if runner.is_alive() else "Done.")


if __name__ == "__main__":
    main()
