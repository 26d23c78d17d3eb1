"""Two consumers wait with `if not items: cond.wait()`; one wakes to find the item taken.

What goes wrong
---------------
A thread woken from `wait()` does not run at once: it must first re-acquire the lock, and
another thread may get there before it and change the state. (`notify_all()` wakes every
waiter for one item, and Python allows spurious wake-ups too.) Code that checked the
condition once, with `if`, acts on a fact that may no longer be true.

In the interleaving races prints, below (two consumers, Thread-1 and Thread-2, and a
producer, Thread-3, that makes two items, one at a time), both consumers find `items`
empty and wait; the producer appends 1 and `notify_all()` wakes them both; Thread-2 gets
the lock first and pops the item; Thread-1, which checked once, before it waited, pops
from the empty list: `IndexError: pop from empty list`.

What races prints
-----------------
`races run condition_if_not_while` finds it and prints (CPython 3.11):

    Check-then-act: Thread-1 (consumer) checked `items` (broken.py:61), Thread-2 (consumer) wrote
    `items` (broken.py:63), Thread-1 (consumer) wrote `items` (broken.py:63): Thread-1 (consumer) acted
    on a check that Thread-2 (consumer)'s write had made stale

       12 Thread-1 (consumer) if not items:   (broken.py:61) [read items]
          ... 6 steps
       19 Thread-2 (consumer) if not items:   (broken.py:61) [read items]
          ... 7 steps
       27 Thread-3 (producer) items.append(item)   (broken.py:69) [update items]
          ... 2 steps of Thread-3 (producer)
       31 Thread-2 (consumer) got.append(items.pop())   (broken.py:63) [update items]
          ... 6 steps
       38 Thread-1 (consumer) got.append(items.pop())   (broken.py:63) [update items]

The fix
-------
`fixed.py` waits in a loop, `while not items: cond.wait()`, or with
`cond.wait_for(lambda: items)`, which does the same: after every wake-up the thread
checks again, under the lock, before it acts.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     0 of 1 counted runs (0%)
    1 us switching        0 of 1 counted runs (0%)
    noise 0.01            0 of 10 counted runs (0%)
    the scheduler         1 schedule(s)
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
