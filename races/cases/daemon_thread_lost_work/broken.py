"""A daemon thread batches log records and writes them to a file; at exit the batch is lost.

What goes wrong
---------------
The interpreter exits when only daemon threads are left, and kills them wherever they
are. A daemon writer that buffers records and flushes them every so often loses
whatever it holds at that moment. Nothing fails: the last records are just missing from
the file.

Why the scheduler cannot show it
--------------------------------
The loss happens after the program's last line, during interpreter shutdown, so no
in-process scenario can observe it. This case is shown by running it for real: the
module writes records from a daemon thread, exits, and a parent process counts the
lines. (Run it: `python -m races.cases.daemon_thread_lost_work.broken`.)

The fix
-------
`fixed.py` uses a non-daemon writer stopped by an Event: the main thread sets the Event
and joins the writer, which flushes everything it holds before it returns.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     20 of 20 counted runs (100%)
    1 us switching        20 of 20 counted runs (100%)
    noise 0.01            20 of 20 counted runs (100%)
    the scheduler         cannot: the real interpreter exit
"""

import os
import subprocess
import sys
import tempfile
import threading
import time

MODULE = "races.cases.daemon_thread_lost_work.broken"


def writer(path: str, records: "list[str]") -> None:
    batch: list[str] = []
    while True:
        while records:
            batch.append(records.pop(0))
        while len(batch) >= 10:  # write whole batches of 10; keep the rest for later
            with open(path, "a") as f:
                f.writelines(line + "\n" for line in batch[:10])
            del batch[:10]
        time.sleep(0.01)


def program(path: str) -> None:
    records: list[str] = []
    threading.Thread(target=writer, args=(path, records), daemon=True).start()
    for i in range(25):
        records.append(f"record {i}")
    time.sleep(0.1)


def scenario() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "log.txt")
        subprocess.run(
            [sys.executable, "-c", f"import {MODULE} as m; m.program({path!r})"], check=True
        )
        with open(path) as f:
            written = len(f.readlines())
    assert written == 25, f"{25 - written} of 25 records lost at exit"


if __name__ == "__main__":
    try:
        scenario()
        print("All 25 records written.")
    except AssertionError as exc:
        print(exc)
