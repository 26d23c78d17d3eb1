"""Each thread appends a record to a shared log field by field: name, then amount.

What goes wrong
---------------
Each `append` is atomic, but a record written with two appends is not: another thread
can append between them, and the log reads `alice, bob, 10, 20`: whose 10 is it?

The losing interleaving:

    Thread-1  log.append("alice")
              -- preempted --
    Thread-2  log.append("bob"); log.append("20")
    Thread-1  log.append("10")        log: alice, bob, 20, 10

The fix
-------
`fixed.py` writes each record in one operation (one append of the whole line) under a
lock shared by every writer, so a record is never split.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     - (0 of 20)
    1 us switching        - (0 of 20)
    noise 0.01            100% of 1
    the scheduler         13 schedule(s)
"""

import threading

log: list[str] = []


def write_record(name: str, amount: int) -> None:
    log.append(name)
    log.append(str(amount))


def scenario() -> None:
    log.clear()
    writers = [threading.Thread(target=write_record, args=r) for r in (("alice", 10), ("bob", 20))]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    records = [(log[i], log[i + 1]) for i in range(0, len(log), 2)]
    assert sorted(records) == [("alice", "10"), ("bob", "20")], f"torn: {log}"


if __name__ == "__main__":
    scenario()
    print(log)
