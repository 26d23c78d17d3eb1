"""Fix: a non-daemon writer stopped by an Event and joined; it flushes what it holds before it ends."""

import os
import subprocess
import sys
import tempfile
import threading
import time

MODULE = "races.cases.daemon_thread_lost_work.fixed"


def writer(path: str, records: "list[str]", stop: threading.Event) -> None:
    batch: list[str] = []
    while True:
        while records:
            batch.append(records.pop(0))
        while len(batch) >= 10:  # write whole batches of 10; keep the rest for later
            with open(path, "a") as f:
                f.writelines(line + "\n" for line in batch[:10])
            del batch[:10]
        if stop.is_set() and not records:
            with open(path, "a") as f:  # stopping: flush what is left
                f.writelines(line + "\n" for line in batch)
            return
        time.sleep(0.01)


def program(path: str) -> None:
    records: list[str] = []
    stop = threading.Event()
    t = threading.Thread(target=writer, args=(path, records, stop))
    t.start()
    for i in range(25):
        records.append(f"record {i}")
    stop.set()
    t.join()


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
    scenario()
    print("All 25 records written.")
