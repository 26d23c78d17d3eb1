"""Fix: no shared total. The caller collects results with `as_completed` and sums them itself."""

from concurrent.futures import ThreadPoolExecutor, as_completed


def scenario() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(lambda n=n: n) for n in (1, 2)]
        total = sum(f.result() for f in as_completed(futures))
    assert total == 3, f"total is {total}"


if __name__ == "__main__":
    scenario()
    print("Total: 3")
