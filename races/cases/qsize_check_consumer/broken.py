"""The consumer drains `while q.qsize() > 0: q.get()`, and may run before anything was put.

What goes wrong
---------------
"The queue is empty" does not mean "there will be no more work". If the consumer thread
starts before the producer has put anything, `qsize()` is 0, the loop ends at once, and
the consumer exits. The producer then puts its items and calls `q.join()`, which waits
for `task_done()` calls that no one is left to make.

No preemption is needed. In the run races prints, below, the consumer thread runs as soon
as it is started, finds `q.qsize()` 0 and ends; MainThread, the producer, puts 1 and 2
and is left waiting in `q.join()`, the only thread there is.

What races prints
-----------------
`races run qsize_check_consumer` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in Queue.join for a notify/put/set that no running thread can make, at broken.py:57  `q.join()`

The fix
-------
`fixed.py` tells the consumer explicitly when the work ends: it loops on a blocking
`q.get()` until it receives a sentinel (`None`) that the producer puts last. A blocking
get waits for work instead of guessing from the queue's size.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 2 counted runs (100%); stopped after 2 hang(s)
    1 us switching        2 of 3 counted runs (67%); stopped after 2 hang(s)
    noise 0.01            2 of 2 counted runs (100%); stopped after 2 hang(s)
    the scheduler         1 schedule(s)
"""

import queue
import threading

handled: list[int] = []


def consumer(q: "queue.Queue[int]") -> None:
    while q.qsize() > 0:
        handled.append(q.get())
        q.task_done()


def scenario() -> None:
    handled.clear()
    q: queue.Queue[int] = queue.Queue()
    threading.Thread(target=consumer, args=(q,), daemon=True).start()
    for item in (1, 2):
        q.put(item)
    q.join()
    assert handled == [1, 2]


if __name__ == "__main__":
    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    print(
        "Hung in q.join(): the consumer quit early." if runner.is_alive() else f"Handled {handled}"
    )
