"""Two processes append records to one log file, each record in three writes.

What goes wrong
---------------
A file opened with `O_APPEND` (mode `"a"`) makes each `write(2)` land at the end of the
file, atomically: no other append can split *one* write. But a record written as three
writes is three appends, and the other process's appends can land between them:

    alice  write "alice"          log: alice
    bob    write "bob"            log: alicebob
    alice  write " 7"             log: alicebob 7
    bob    write " 3\\n"          log: alicebob 7 3\\n      one line, two torn records

Python's buffered files hide this until the buffer is flushed, which is how a program
that works in testing tears its log in production; here each part is an `os.write`, one
system call each, as an unbuffered file or a flush after each part would make it. Both
writers start together (a barrier), so on two cores their appends overlap at once.

The fix
-------
`fixed.py` builds the whole record first and writes it with one `os.write`: one append,
which `O_APPEND` never splits, so no lock is needed. (A lock shared by the processes
around the three writes works too, at the price of making every writer wait.)

See also `torn_records`, the same tear between threads.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    fork                  20 of 20 counted runs (100%)
    spawn                 20 of 20 counted runs (100%)
    the scheduler         cannot: processes
"""

import multiprocessing
import os
import tempfile

RECORDS = 2000


def writer(path: str, name: str, start) -> None:  # type: ignore[no-untyped-def]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        start.wait()
        for i in range(RECORDS):
            os.write(fd, name.encode())
            os.write(fd, f" {i}".encode())
            os.write(fd, b"\n")
    finally:
        os.close(fd)


def run(method: str) -> list[str]:
    ctx = multiprocessing.get_context(method)
    start = ctx.Barrier(2)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "log.txt")
        workers = [
            ctx.Process(target=writer, args=(path, name, start)) for name in ("alice", "bob")
        ]
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
    """Lines that are not one whole record, `name number`."""
    return [line for line in lines if len(line.split()) != 2 or not line.split()[1].isdigit()]


def scenario() -> None:
    lines = run("spawn")
    assert not torn(lines), f"{len(torn(lines))} torn records, e.g. {torn(lines)[:2]}"


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    lines = run(method)
    assert not torn(lines), f"{len(torn(lines))} torn records ({method}), e.g. {torn(lines)[:2]}"


if __name__ == "__main__":
    lines = run("spawn")
    print(f"{len(torn(lines))} of {len(lines)} lines torn, e.g. {torn(lines)[:3]}")
