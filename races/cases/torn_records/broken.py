"""Each thread appends a record to a shared log field by field: name, then amount.

What goes wrong
---------------
Each `append` is atomic, but a record written with two appends is not: another thread
can append between them, and the log reads `alice, bob, 20, 10`: whose 20 is it?

In the interleaving races prints, below, Thread-1 appends its name, "alice", and is
preempted; Thread-2 appends "bob" and then "20"; Thread-1 then appends its "10": the log
is `alice, bob, 20, 10`.

What races prints
-----------------
`races run torn_records` finds it and prints (CPython 3.11):

    Torn write: Thread-1 (write_record) updated `log` (broken.py:51), Thread-2 (write_record) updated
    `log` (broken.py:52), Thread-1 (write_record) updated `log` again (broken.py:52): what Thread-1
    (write_record) wrote in two parts, meant as one, has Thread-2 (write_record)'s write in the middle

        9 Thread-1 (write_record) log.append(name)   (broken.py:51) [update log]
          -- Thread-1 (write_record) is preempted here; MainThread runs
          ... 3 steps of MainThread
       14 Thread-2 (write_record) log.append(name)   (broken.py:51) [update log]
       15 Thread-2 (write_record) log.append(str(amount))   (broken.py:52) [update log]
          ... 5 steps
       10 Thread-1 (write_record) log.append(str(amount))   (broken.py:52) [update log]

The fix
-------
`fixed.py` writes each record in one operation (one append of the whole line) under a
lock shared by every writer, so a record is never split.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        no run counted (20 made, none with overlapping threads)
    noise 0.01            1 of 1 counted runs (100%)
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
