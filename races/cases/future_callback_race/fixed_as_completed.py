"""Fix: no shared total. The caller collects results with `as_completed` and sums them itself."""

import threading
from concurrent.futures import ThreadPoolExecutor, as_completed


def task(n: int, both_running: threading.Barrier) -> int:
    both_running.wait()  # two workers busy at once, as under real load
    return n


def scenario() -> None:
    both_running = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(task, n, both_running) for n in (1, 2)]
        total = sum(f.result() for f in as_completed(futures))
    assert total == 3, f"total is {total}"


if __name__ == "__main__":
    scenario()
    print("Total: 3")
