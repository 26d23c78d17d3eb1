"""Fix: the Value's own lock around the read-modify-write, `with counter.get_lock():`."""

import multiprocessing


def work(counter, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


def run(method: str, processes: int = 4, times: int = 5000) -> int:
    ctx = multiprocessing.get_context(method)
    counter = ctx.Value("i", 0)
    workers = [ctx.Process(target=work, args=(counter, times)) for _ in range(processes)]
    try:
        for p in workers:
            p.start()
    finally:
        for p in workers:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
                p.join()
    return int(counter.value)


def scenario() -> None:
    total = run("spawn", processes=2, times=1000)
    assert total == 2000, f"lost update: {2000 - total} increments lost"


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    total = run(method)
    assert total == 20000, f"lost update ({method}): {20000 - total} of 20000 increments lost"


if __name__ == "__main__":
    print(f"4 processes x 5000 locked increments: {run('spawn')} (expected 20000)")
