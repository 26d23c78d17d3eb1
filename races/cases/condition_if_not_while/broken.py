"""Two consumers wait with `if not items: cond.wait()`; a third thread takes the item first.

What goes wrong
---------------
A thread woken from `wait()` does not run at once: it must first re-acquire the lock, and
another thread may get there before it and change the state. (`notify_all()` wakes every
waiter for one item, and Python allows spurious wake-ups too.) Code that checked the
condition once, with `if`, acts on a fact that may no longer be true.

The losing interleaving (two consumers, one producer that makes two items, one at a time):

    Consumer-1  with cond: if not items: cond.wait()     waits
    Consumer-2  with cond: if not items: cond.wait()     waits
    Producer    items.append(1); cond.notify_all()       wakes both
    Consumer-1  items.pop()                              takes 1
    Consumer-2  items.pop()                              IndexError: pop from empty list

The fix
-------
`fixed.py` waits in a loop, `while not items: cond.wait()`, or with
`cond.wait_for(lambda: items)`, which does the same: after every wake-up the thread
checks again, under the lock, before it acts.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     0% of 1
    1 us switching        0% of 4
    noise 0.01            0% of 11
    the scheduler         2 schedule(s)
"""

import threading

items: list[int] = []
cond = threading.Condition()
got: list[int] = []


def consumer() -> None:
    with cond:
        if not items:
            cond.wait()
        got.append(items.pop())


def producer() -> None:
    for item in (1, 2):
        with cond:
            items.append(item)
            cond.notify_all()


def scenario() -> None:
    items.clear()
    got.clear()
    threads = [threading.Thread(target=consumer) for _ in range(2)]
    threads.append(threading.Thread(target=producer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [1, 2]


if __name__ == "__main__":
    scenario()
    print(f"Consumers got {got}")
