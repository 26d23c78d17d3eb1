"""Fix: parts run on a pool of their own: a task waits for another pool, never its own."""

from concurrent.futures import ThreadPoolExecutor


def part(n: int) -> int:
    return n * n


def report(parts: ThreadPoolExecutor) -> int:
    pending = parts.submit(part, 3)  # another pool's worker takes it
    return pending.result()


def scenario() -> None:
    with ThreadPoolExecutor(max_workers=1) as parts, ThreadPoolExecutor(max_workers=1) as pool:
        total = pool.submit(report, parts).result()
    assert total == 9


if __name__ == "__main__":
    scenario()
    print("Done.")
