"""Fix: one write per record, under a multiprocessing.Lock shared by every writer."""

import multiprocessing
import os
import tempfile

RECORDS = 200


def writer(path: str, name: str, lock) -> None:  # type: ignore[no-untyped-def]
    with open(path, "a", buffering=1) as log:
        for i in range(RECORDS):
            with lock:
                log.write(f"{name} {i}\n")
                log.flush()


def run(method: str) -> list[str]:
    ctx = multiprocessing.get_context(method)
    lock = ctx.Lock()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "log.txt")
        workers = [ctx.Process(target=writer, args=(path, name, lock)) for name in ("alice", "bob")]
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
