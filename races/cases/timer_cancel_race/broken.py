"""A reminder Timer is cancelled when the user answers; the code assumes the reminder was not sent.

What goes wrong
---------------
`Timer.cancel()` only stops a timer that has not fired yet; it cannot report whether it
was in time. When the answer arrives at the same moment as the deadline, the reminder may
already be sent, and the code that "cancelled" it goes on as if it never was.

The losing interleaving (answer and deadline both at 0.05 s):

    Timer     the deadline passes: send_reminder()   sent = True
    Main      timer.cancel()                         too late, and says nothing
    Main      assert not sent                        wrong

The fix
-------
`fixed.py` decides "fire or cancel" once, under a lock: the reminder only sends if it is
still pending, and the canceller marks it cancelled only if it has not been sent. Whoever
gets the lock first wins, and both know the result.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     35% of 20
    1 us switching        55% of 20
    noise 0.01            55% of 20
    the scheduler         1 schedule(s)
"""

import threading
import time

sent: list[str] = []


def send_reminder() -> None:
    sent.append("reminder")


def scenario() -> None:
    sent.clear()
    timer = threading.Timer(0.05, send_reminder)
    timer.start()
    time.sleep(0.05)  # the user answers just as the reminder is due
    timer.cancel()
    timer.join()
    assert not sent, "cancelled, but the reminder was sent anyway"


if __name__ == "__main__":
    late = 0
    for _ in range(200):
        try:
            scenario()
        except AssertionError:
            late += 1
    print(f"The reminder was sent despite cancel() in {late} of 200 runs.")
