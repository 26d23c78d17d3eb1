"""The doorkeeper opens the door with `Event.set()` and closes it at once with `clear()`.

What goes wrong
---------------
An Event is a state (open or closed), not a message. `set(); clear()` opens the door for
a moment: threads already in `wait()` are woken, but a visitor that arrives a moment
later finds the door closed and waits for an opening that will never come again. There
is no record that the door was ever open.

In the run races prints, below, the visitor, Thread-1, is started first but preempted
before its `door.wait()`; the doorkeeper, Thread-2, runs `door.set()` and `door.clear()`
with nobody waiting yet. Thread-1 then waits in `door.wait()` forever, and MainThread
waits in `v.join()` for Thread-1.

What races prints
-----------------
`races run event_pulse_missed` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in Thread.join for Thread-1 (visitor) to finish, at broken.py:64  `v.join()`
      Thread-1 (visitor) waits in Event.wait for a notify/put/set that no running thread can make, at broken.py:48  `door.wait()`

The fix
-------
`fixed.py` counts openings under a Condition: the visitor remembers the count when it
arrives and waits until it has grown. An opening that happens before the wait still
changes the count, so it cannot be missed.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 4 counted runs (50%); stopped after 2 hang(s)
    1 us switching        2 of 2 counted runs (100%); stopped after 2 hang(s)
    noise 0.01            2 of 4 counted runs (50%); stopped after 2 hang(s)
    the scheduler         12 schedule(s)
"""

import threading

door = threading.Event()
entered: list[str] = []


def visitor() -> None:
    door.wait()
    entered.append("visitor")


def doorkeeper() -> None:
    door.set()
    door.clear()


def scenario() -> None:
    door.clear()
    entered.clear()
    v = threading.Thread(target=visitor)
    k = threading.Thread(target=doorkeeper)
    v.start()
    k.start()
    v.join()
    k.join()
    assert entered == ["visitor"]


if __name__ == "__main__":
    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    print("Hung: the visitor missed the opening." if runner.is_alive() else "The visitor got in.")
