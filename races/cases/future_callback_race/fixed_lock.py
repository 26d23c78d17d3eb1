"""Fix: a lock around the read-modify-write in the callback."""

import threading
from concurrent.futures import Future, ThreadPoolExecutor

total = 0
total_lock = threading.Lock()


def add_result(future: "Future[int]") -> None:
    global total
    with total_lock:
        value = total
        total = value + future.result()


def scenario() -> None:
    global total
    total = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in (1, 2):
            pool.submit(lambda n=n: n).add_done_callback(add_result)
    assert total == 3, f"lost update: total is {total}"


if __name__ == "__main__":
    scenario()
    print(f"Total: {total}")
