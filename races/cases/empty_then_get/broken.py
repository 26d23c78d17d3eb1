"""Two consumers each check `not q.empty()` and then `q.get()`; there is only one item.

What goes wrong
---------------
`empty()` answers for the moment it is called. Between it and `get()`, the other
consumer can take the item, and `get()` then blocks, waiting for an item nobody will put.

races prints where the threads end up, below. Thread-1 (consume) found the queue not
empty and was preempted before its `get()`; Thread-2 found it not empty too and took the
only item. Thread-1 now waits in `q.get()` for an item nobody will put, and MainThread
waits in `c.join()` for Thread-1.

What races prints
-----------------
`races run empty_then_get` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in Thread.join for Thread-1 (consume) to finish, at broken.py:57  `c.join()`
      Thread-1 (consume) waits in Queue.get for a notify/put/set that no running thread can make, at broken.py:46  `taken.append(q.get())`

The fix
-------
`fixed.py` asks once and acts on the answer: `get_nowait()` takes an item if there is
one and raises `queue.Empty` if there is not, in one step.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        no run counted (20 made, none with overlapping threads)
    noise 0.01            0 of 2 counted runs (0%)
    the scheduler         13 schedule(s)
"""

import queue
import threading

taken: list[str] = []


def consume(q: "queue.Queue[str]") -> None:
    if not q.empty():
        taken.append(q.get())


def scenario() -> None:
    taken.clear()
    q: queue.Queue[str] = queue.Queue()
    q.put("job")
    consumers = [threading.Thread(target=consume, args=(q,)) for _ in range(2)]
    for c in consumers:
        c.start()
    for c in consumers:
        c.join()
    assert taken == ["job"]


if __name__ == "__main__":
    scenario()
    print(f"Taken: {taken}")
