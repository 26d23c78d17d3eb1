"""Fix: the report computes its part directly: work it needs right away is not a task."""

from concurrent.futures import ThreadPoolExecutor


def part(n: int) -> int:
    return n * n


def report(pool: ThreadPoolExecutor) -> int:
    return part(3)  # on this worker, now


def scenario() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        total = pool.submit(report, pool).result()
    assert total == 9


if __name__ == "__main__":
    scenario()
    print("Done.")
