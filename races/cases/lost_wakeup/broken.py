"""The consumer waits on a Condition without checking any state; the producer may notify first.

What goes wrong
---------------
`notify()` wakes threads that are waiting *now*; it leaves no trace for a thread that
starts waiting later. A consumer that waits without first checking whether the thing it
waits for has already happened can sleep through it, forever.

In the run races prints, below, the producer, Thread-2, sets `result = 42` and notifies
before the consumer, Thread-1, reaches `cond.wait()`: nobody is waiting yet. Thread-1 then
waits in `cond.wait()` for a notify that is gone, and MainThread waits in `c.join()` for
Thread-1.

What races prints
-----------------
`races run lost_wakeup` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in Thread.join for Thread-1 (consumer) to finish, at broken.py:67  `c.join()`
      Thread-1 (consumer) waits in Condition.wait for a notify/put/set that no running thread can make, at broken.py:55  `cond.wait()`

The fix
-------
`fixed.py` waits for a *predicate* (`cond.wait_for(lambda: result is not None)`), checked
under the same lock the producer holds when it sets the state. If the producer already
ran, the predicate is true and the consumer does not wait at all.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 4 counted runs (50%); stopped after 2 hang(s)
    1 us switching        2 of 3 counted runs (67%); stopped after 2 hang(s)
    noise 0.01            2 of 4 counted runs (50%); stopped after 2 hang(s)
    the scheduler         7 schedule(s)
"""

import threading

cond = threading.Condition()
result: int | None = None


def producer() -> None:
    global result
    with cond:
        result = 42
        cond.notify()


def consumer(seen: list[int | None]) -> None:
    with cond:
        cond.wait()
        seen.append(result)


def scenario() -> None:
    global result
    result = None
    seen: list[int | None] = []
    c = threading.Thread(target=consumer, args=(seen,))
    p = threading.Thread(target=producer)
    c.start()
    p.start()
    c.join()
    p.join()
    assert seen == [42]


if __name__ == "__main__":
    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    print("Hung: the wake-up was lost." if runner.is_alive() else "The consumer saw the result.")
