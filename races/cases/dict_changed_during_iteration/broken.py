"""A reporter iterates the shared `sessions` dict while a request handler adds a session.

What goes wrong
---------------
Each single dict operation is atomic in CPython, but iterating is many operations. If
another thread adds or removes a key between two steps of the loop, the dict's iterator
notices and raises `RuntimeError: dictionary changed size during iteration`.

The losing interleaving:

    Reporter  for user in sessions:     first key
              -- preempted --
    Handler   sessions["carol"] = ...   the dict grows
    Reporter  next key                  RuntimeError

The fix
-------
`fixed.py` takes a snapshot under a lock (`list(sessions.items())`) that every writer also
takes, and iterates the snapshot outside the lock. Writers wait only for the copy, not
for the whole report.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     - (0 of 20)
    1 us switching        0% of 1
    noise 0.01            33% of 3
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
