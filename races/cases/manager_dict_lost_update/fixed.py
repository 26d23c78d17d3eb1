"""Fix: a lock from the same manager around the read and the write."""

import multiprocessing


def work(hits, lock, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        with lock:
            hits["hits"] += 1


def run(method: str, processes: int = 3, times: int = 300) -> int:
    ctx = multiprocessing.get_context(method)
    with ctx.Manager() as manager:
        hits = manager.dict(hits=0)
        lock = manager.Lock()
        workers = [ctx.Process(target=work, args=(hits, lock, times)) for _ in range(processes)]
        try:
            for p in workers:
                p.start()
        finally:
            for p in workers:
                p.join(timeout=60)
                if p.is_alive():
                    p.kill()
                    p.join()
        return int(hits["hits"])


def scenario() -> None:
    total = run("spawn", processes=2, times=100)
    assert total == 200, f"lost update: {200 - total} hits lost"


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    total = run(method)
    assert total == 900, f"lost update ({method}): {900 - total} of 900 hits lost"


if __name__ == "__main__":
    print(f"3 processes x 300 locked hits: {run('spawn')} (expected 900)")
