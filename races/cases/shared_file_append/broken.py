"""Each process appends its records to one log file as three separate writes.

What goes wrong
---------------
`O_APPEND` makes each single `write` land at the end of the file, but a record written
as three writes is three appends, and another process's appends can land in between:
`alice 10` becomes `alice bob 20\\n 10\\n`. The multi-process twin of `torn_records`.

The fix
-------
`fixed.py` writes each record with one `write` call, under a `multiprocessing.Lock` that
every writer shares.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     0% of 20
    1 us switching        0% of 20
    noise 0.01            0% of 20
    the scheduler         cannot: processes
"""

import multiprocessing
import os
import tempfile

RECORDS = 200


def writer(path: str, name: str) -> None:
    with open(path, "a", buffering=1) as log:
        for i in range(RECORDS):
            log.write(name)
            log.write(f" {i}")
            log.write("\n")
            log.flush()


def run(method: str) -> list[str]:
    ctx = multiprocessing.get_context(method)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "log.txt")
        workers = [ctx.Process(target=writer, args=(path, name)) for name in ("alice", "bob")]
        try:
            for p in workers:
                p.start()
        finally:
            for p in workers:
                p.join(timeout=60)
                if p.is_alive():
                    p.kill()
                    p.join()
        with open(path) as f:
            return f.read().splitlines()


def torn(lines: list[str]) -> list[str]:
    return [line for line in lines if len(line.split()) != 2 or not line.split()[1].isdigit()]


def scenario() -> None:
    lines = run("spawn")
    assert not torn(lines), f"{len(torn(lines))} torn records, e.g. {torn(lines)[:2]}"


def stress() -> None:
    for method in ("fork", "spawn"):
        lines = run(method)
        assert not torn(lines), f"{len(torn(lines))} torn records ({method})"


if __name__ == "__main__":
    lines = run("spawn")
    print(f"{len(torn(lines))} of {len(lines)} lines torn")
