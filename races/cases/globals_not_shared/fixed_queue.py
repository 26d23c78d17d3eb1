"""Fix: each worker sends its result back through a multiprocessing.Queue."""

import multiprocessing


def work(n: int, results) -> None:  # type: ignore[no-untyped-def]
    results.put(n * n)  # a channel to the parent, not a copy


def run(method: str) -> list[int]:
    ctx = multiprocessing.get_context(method)
    results = ctx.Queue()
    workers = [ctx.Process(target=work, args=(n, results)) for n in (1, 2, 3)]
    try:
        for p in workers:
            p.start()
        got = sorted(results.get(timeout=60) for _ in workers)  # drained before the joins
    finally:
        for p in workers:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
                p.join()
    return got


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    got = run(method)
    assert got == [1, 4, 9], f"the parent saw {got} of [1, 4, 9] ({method})"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    print(f"Results through the queue: {run('spawn')}")
