"""A reminder Timer is cancelled when the user answers; the code assumes the reminder was not sent.

What goes wrong
---------------
`Timer.cancel()` only stops a timer that has not fired yet; it cannot report whether it
was in time. When the answer arrives at the same moment as the deadline, the reminder may
already be sent, and the code that "cancelled" it goes on as if it never was.

In the order races prints, below (answer and deadline both due at 0.05 s), the timer's
thread, Thread-1, fires first and sends the reminder; MainThread's `timer.cancel()`
comes after, too late, and says nothing, so `assert not sent` fails. races names it an
order violation on the timer's `finished` flag: the timer read it before the cancel
wrote it, and nothing made the write come first.

What races prints
-----------------
`races run timer_cancel_race` finds it and prints (CPython 3.11):

    Order violation: Thread-1 read `timer.finished` before MainThread wrote it (broken.py:59), and
    nothing makes the write come first: Thread-1 acted on the state from before it

        8 Thread-1   sent.append("reminder")   (broken.py:51) [read timer.finished]
          ... 1 step of Thread-1
       10 MainThread timer.cancel()   (broken.py:59) [write timer.finished]

The fix
-------
`fixed.py` decides "fire or cancel" once, under a lock: the reminder only sends if it is
still pending, and the canceller marks it cancelled only if it has not been sent. Whoever
gets the lock first wins, and both know the result.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     9 of 20 counted runs (45%)
    1 us switching        13 of 20 counted runs (65%)
    noise 0.01            13 of 20 counted runs (65%)
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
