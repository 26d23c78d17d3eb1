"""Two consumers read a queue until they get the sentinel `None`; the producer puts only one.

What goes wrong
---------------
A sentinel is a message: "no more work". Like any item on a `queue.Queue`, it is taken
by exactly one `get()`, by whichever consumer asks first. One sentinel therefore stops
one consumer. Every other consumer finishes the jobs that are left, then calls `get()`
on an empty queue that nobody will ever put anything on again, and waits there forever;
the producer's `join()` on it never returns.

The losing run needs no particular interleaving, only two consumers (here Thread-1 is
fast enough to take everything):

    MainThread  put("a"), put("b"), put(None)   two jobs, then ONE sentinel
    Thread-1    get() -> "a", get() -> "b"      handles both jobs
    Thread-1    get() -> None                   the sentinel: Thread-1 stops
    Thread-2    get()                           waits for an item that never comes
    MainThread  Thread-2.join()                 waits for Thread-2, forever

Whichever consumer takes the sentinel, the other is left waiting; races reports both
threads stuck, MainThread in `Thread.join` and Thread-2 in `Queue.get`. Every run hangs,
on real threads as under the scheduler:
`python -m races.cases.one_sentinel_many_consumers.broken` gives up after a second.

The fix
-------
`fixed_sentinel_each.py` puts one sentinel per consumer, after the last job. A consumer
that takes a sentinel stops and takes no more items, so each sentinel stops a different
consumer, and every consumer gets one. (A consumer may also put the sentinel back before
it stops, so that the next one sees it too; Python 3.13's `Queue.shutdown()` ends every
waiting `get()` at once.)

See also `queue_join_missing_task_done` and `qsize_check_consumer`, two other ways a
queue's consumers and producer stop waiting for each other at the wrong time.

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

STOP = None  # the sentinel: no more jobs


def consumer(jobs: "queue.Queue[str | None]", done: list[str]) -> None:
    while True:
        job = jobs.get()
        if job is STOP:
            break
        done.append(job)  # handle the job


def scenario() -> None:
    jobs: queue.Queue[str | None] = queue.Queue()
    for job in ("a", "b"):
        jobs.put(job)
    jobs.put(STOP)  # one sentinel, for two consumers
    done: list[str] = []
    consumers = [threading.Thread(target=consumer, args=(jobs, done)) for _ in range(2)]
    for c in consumers:
        c.start()
    for c in consumers:
        c.join()
    assert sorted(done) == ["a", "b"]


def main() -> None:
    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    if runner.is_alive():
        print("Hung: one consumer took the only sentinel, the other waits in get() for good.")
    else:
        print("Every consumer stopped.")


if __name__ == "__main__":
    main()
