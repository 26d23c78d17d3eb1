import multiprocessing
import os
import tempfile

RECORDS = 2000


def writer(path: str, name: str, start) -> None:  # type: ignore[no-untyped-def]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        start.wait()
        for i in range(RECORDS):
            os.write(fd, f"{name} {i}\n".encode())  # the whole record: one append
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
    print(f"{len(torn(lines))} of {len(lines)} lines torn")
