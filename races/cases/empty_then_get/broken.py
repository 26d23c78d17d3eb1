"""Two consumers each check `not q.empty()` and then `q.get()`; there is only one item.

What goes wrong
---------------
`empty()` answers for the moment it is called. Between it and `get()`, the other
consumer can take the item, and `get()` then blocks, waiting for an item nobody will put.

The losing interleaving:

    Thread-1  if not q.empty()     one item: not empty
              -- preempted --
    Thread-2  if not q.empty()     one item: not empty
    Thread-2  q.get()              takes it
    Thread-1  q.get()              waits forever

The fix
-------
`fixed.py` asks once and acts on the answer: `get_nowait()` takes an item if there is
one and raises `queue.Empty` if there is not, in one step.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     - (0 of 20)
    1 us switching        - (0 of 20)
    noise 0.01            0% of 2
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
