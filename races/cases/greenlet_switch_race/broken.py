"""Three greenlets count a page view each: read the counter, log the view, store counter + 1.

What goes wrong
---------------
Greenlets never preempt each other: one runs until it waits for something, and only then
does gevent's hub switch to another. That makes `views += 1` atomic among greenlets,
which threads cannot promise. But `gevent.monkey.patch_all()` turns every blocking call
of the standard library into a wait: `time.sleep`, sockets, `requests`, database
drivers. Here `log_view()` stands for such a call, and it sits between the read and the
write. While one greenlet waits there, the others read the same old value; when they
resume, each writes old + 1, and all but one view are lost. Nothing in the code says
"switch": the I/O is what switches, and it is hidden in a helper.

The interleaving races prints, below, is gevent's own order: no luck needed, it fails
every run. Each greenlet reads `views` (0) and waits in `log_view()` before any of them
writes; then Greenlet-1, Greenlet-2 and Greenlet-3 each store `value + 1`. The counter
ends at 1 of 3 views: two are lost.

What races prints
-----------------
`races run greenlet_switch_race` finds it and prints (CPython 3.11):

    Lost update: Greenlet-3 read `views` (broken.py:68), Greenlet-2 wrote `views` (broken.py:70),
    Greenlet-3 wrote `views` (broken.py:70): Greenlet-2's update is lost

        4 Greenlet-3 value = views   (broken.py:68) [read views]
        5 Greenlet-1 views = value + 1   (broken.py:70) [write views]
          ... 1 step of main
        7 Greenlet-2 views = value + 1   (broken.py:70) [write views]
          ... 1 step of main
        9 Greenlet-3 views = value + 1   (broken.py:70) [write views]

The fixes
---------
`fixed_no_switch.py` logs first and then does `views += 1` with no I/O in between: with
no switch inside, the read-modify-write cannot be interleaved.
`fixed_semaphore.py` keeps the I/O inside and holds a `gevent.lock.Semaphore` across
the read, the I/O and the write, so the other greenlets wait their turn.

Run it with `python -m races.cases.greenlet_switch_race.broken`: it counts 1 view of 3.

Measured on a real interpreter
------------------------------
`races stress --all`, CPython 3.11.7: greenlets switch only where they wait,
so real switch intervals and noise change nothing, and the real runtime takes
one order, the default one. What each search needed to show the bug:

    search                result
    default order         shown (assertion)
    random, seed 0        1 schedule(s)
    pct, seed 0           1 schedule(s)
    dpor                  1 schedule(s)
"""

import time

import gevent

views = 0


def log_view() -> None:
    time.sleep(0.001)  # a network call; patched, it waits in gevent's hub


def count_view() -> None:
    global views
    value = views
    log_view()
    views = value + 1


def scenario() -> None:
    global views
    views = 0
    gevent.joinall([gevent.spawn(count_view) for _ in range(3)])
    assert views == 3, f"lost update: {views} of 3 views counted"


if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()
    try:
        scenario()
        print(f"Views: {views}")
    except AssertionError as exc:
        print(exc)
