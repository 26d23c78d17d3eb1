"""Fix: a lock around the read-modify-write in the callback."""

import threading
from concurrent.futures import Future, ThreadPoolExecutor

total = 0
total_lock = threading.Lock()


def task(n: int, both_running: threading.Barrier) -> int:
    both_running.wait()  # two workers busy at once, as under real load
    return n


def add_result(future: "Future[int]") -> None:
    global total
    with total_lock:
        value = total
        total = value + future.result()


def scenario() -> None:
    global total
    total = 0
    both_running = threading.Barrier(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in (1, 2):
            pool.submit(task, n, both_running).add_done_callback(add_result)
    assert total == 3, f"lost update: total is {total}"


if __name__ == "__main__":
    scenario()
    print(f"Total: {total}")
