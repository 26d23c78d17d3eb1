"""A consumer that skips `task_done()` when a job fails, so `Queue.join()` never returns.

What goes wrong
---------------
`Queue.join()` waits until every `put()` has been matched by a `task_done()`. The
consumer calls `task_done()` at the end of the happy path, but a job that raises jumps
to the `except` block and `continue`s without it. One unmatched job, and `join()`
waits forever: nobody left can call `task_done()`.

Every run that contains a bad job loses, whatever the interleaving. MainThread puts
"ok", "bad", "ok" and waits in `jobs.join()` for three `task_done()` calls; the consumer,
Thread-1, marks both "ok" jobs done, skips the call for "bad", and waits in `jobs.get()`
for a job that never comes. races prints both threads where they wait, below: nothing
can wake either.

What races prints
-----------------
`races run queue_join_missing_task_done` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in Queue.join for a notify/put/set that no running thread can make, at broken.py:69  `jobs.join()`
      Thread-1 (consumer) waits in Queue.get for a notify/put/set that no running thread can make, at broken.py:56  `job = jobs.get()`

The fix
-------
`fixed.py` calls `task_done()` in a `finally:` block, so every job is marked done
whatever happens to it.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 2 counted runs (100%); stopped after 2 hang(s)
    1 us switching        2 of 2 counted runs (100%); stopped after 2 hang(s)
    noise 0.01            2 of 2 counted runs (100%); stopped after 2 hang(s)
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
