"""The consumer waits on a Condition without checking any state; the producer may notify first.

What goes wrong
---------------
`notify()` wakes threads that are waiting *now*; it leaves no trace for a thread that
starts waiting later. A consumer that waits without first checking whether the thing it
waits for has already happened can sleep through it, forever.

The losing interleaving:

    Producer   with cond: result = 42; cond.notify()   nobody is waiting yet
    Consumer   with cond: cond.wait()                  waits for a notify that is gone

The fix
-------
`fixed.py` waits for a *predicate* (`cond.wait_for(lambda: result is not None)`), checked
under the same lock the producer holds when it sets the state. If the producer already
ran, the predicate is true and the consumer does not wait at all.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     50% of 4
    1 us switching        50% of 4
    noise 0.01            50% of 4
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
