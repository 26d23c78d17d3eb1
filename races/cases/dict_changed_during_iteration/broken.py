"""A reporter iterates the shared `sessions` dict while a request handler adds a session.

What goes wrong
---------------
Each single dict operation is atomic in CPython, but iterating is many operations. If
another thread adds or removes a key between two steps of the loop, the dict's iterator
notices and raises `RuntimeError: dictionary changed size during iteration`.

In the interleaving races prints, below, Thread-1 (report) starts its
`for user in sessions:` loop and is preempted; Thread-2 (handle_login) adds
`sessions["carol"]`; when Thread-1's loop takes its next key, the dict's iterator raises
the `RuntimeError`.

What races prints
-----------------
`races run dict_changed_during_iteration` finds it and prints (CPython 3.11):

    Changed during iteration: Thread-1 (report) iterates over `sessions` (broken.py:52); Thread-2
    (handle_login) changes it (broken.py:57), and nothing orders that change with the loop

        8 Thread-1 (report) for user in sessions:   (broken.py:52) [iterate sessions]
          -- Thread-1 (report) is preempted here; MainThread runs
          ... 3 steps of MainThread
       13 Thread-2 (handle_login) sessions["carol"] = 3   (broken.py:57) [write sessions['carol']]
          ... 6 steps
       19 Thread-1 (report) for user in sessions:   (broken.py:52) [iterate sessions]

The fix
-------
`fixed.py` takes a snapshot under a lock (`list(sessions.items())`) that every writer also
takes, and iterates the snapshot outside the lock. Writers wait only for the copy, not
for the whole report.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        no run counted (20 made, none with overlapping threads)
    noise 0.01            1 of 4 counted runs (25%)
    the scheduler         2 schedule(s)
"""

import threading

sessions = {"alice": 1, "bob": 2}


def report(out: list[str]) -> None:
    for user in sessions:
        out.append(user)


def handle_login() -> None:
    sessions["carol"] = 3


def scenario() -> None:
    sessions.clear()
    sessions.update(alice=1, bob=2)
    out: list[str] = []
    threads = [threading.Thread(target=report, args=(out,)), threading.Thread(target=handle_login)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    scenario()
    print(f"Sessions: {sessions}")
