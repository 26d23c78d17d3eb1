"""Two consumers read a queue until they get the sentinel `None`; the producer puts only one.

What goes wrong
---------------
A sentinel is a message: "no more work". Like any item on a `queue.Queue`, it is taken
by exactly one `get()`, by whichever consumer asks first. One sentinel therefore stops
one consumer. Every other consumer finishes the jobs that are left, then calls `get()`
on an empty queue that nobody will ever put anything on again, and waits there forever;
the producer's `join()` on it never returns.

The losing run needs no particular interleaving, only two consumers. In the one races
prints, below, MainThread puts two jobs and then ONE sentinel; Thread-1 is fast enough
to take both jobs and then the sentinel, and stops; Thread-2 waits in `jobs.get()` for an
item that never comes, and MainThread waits in `c.join()` for Thread-2, forever.

Whichever consumer takes the sentinel, the other is left waiting. Every run hangs,
on real threads as under the scheduler:
`python -m races.cases.one_sentinel_many_consumers.broken` gives up after a second.

What races prints
-----------------
`races run one_sentinel_many_consumers` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in Thread.join for Thread-2 (consumer) to finish, at broken.py:75  `c.join()`
      Thread-2 (consumer) waits in Queue.get for a notify/put/set that no running thread can make, at broken.py:59  `job = jobs.get()`

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
