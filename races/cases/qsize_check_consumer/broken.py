"""The consumer drains `while q.qsize() > 0: q.get()`, and may run before anything was put.

What goes wrong
---------------
"The queue is empty" does not mean "there will be no more work". If the consumer thread
starts before the producer has put anything, `qsize()` is 0, the loop ends at once, and
the consumer exits. The producer then puts its items and calls `q.join()`, which waits
for `task_done()` calls that no one is left to make.

The losing interleaving:

    Consumer  while q.qsize() > 0     0: the loop never runs; the consumer ends
    Producer  q.put(1); q.put(2)
    Producer  q.join()                waits forever

The fix
-------
`fixed.py` tells the consumer explicitly when the work ends: it loops on a blocking
`q.get()` until it receives a sentinel (`None`) that the producer puts last. A blocking
get waits for work instead of guessing from the queue's size.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     100% of 2
    1 us switching        50% of 4
    noise 0.01            100% of 2
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
