"""The doorkeeper opens the door with `Event.set()` and closes it at once with `clear()`.

What goes wrong
---------------
An Event is a state (open or closed), not a message. `set(); clear()` opens the door for
a moment: threads already in `wait()` are woken, but a visitor that arrives a moment
later finds the door closed and waits for an opening that will never come again. There
is no record that the door was ever open.

The losing interleaving:

    Visitor     checks in, about to wait
                -- preempted --
    Doorkeeper  door.set(); door.clear()     open and closed, nobody waiting yet
    Visitor     door.wait()                  waits forever

The fix
-------
`fixed.py` counts openings under a Condition: the visitor remembers the count when it
arrives and waits until it has grown. An opening that happens before the wait still
changes the count, so it cannot be missed.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     50% of 4
    1 us switching        50% of 4
    noise 0.01            50% of 4
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
