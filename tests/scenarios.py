"""Small scenarios the scheduler tests share. Module-level, so replay lines can name them."""

from __future__ import annotations

import queue
import threading

counter = 0
lock_a = threading.Lock()
lock_b = threading.Lock()


def _increment() -> None:
    global counter
    counter += 1


def _increment_two_lines() -> None:
    global counter
    value = counter
    counter = value + 1


def _run_all(*targets) -> None:  # type: ignore[no-untyped-def]
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def single_line_counter() -> None:
    """Two threads do `counter += 1` once each."""
    global counter
    counter = 0
    _run_all(_increment, _increment)
    assert counter == 2, f"lost update: counter is {counter}"


def two_line_counter() -> None:
    global counter
    counter = 0
    _run_all(_increment_two_lines, _increment_two_lines)
    assert counter == 2, f"lost update: counter is {counter}"


def locked_counter() -> None:
    global counter
    counter = 0
    lock = threading.Lock()

    def increment() -> None:
        global counter
        with lock:
            counter += 1

    _run_all(increment, increment)
    assert counter == 2


def _a_then_b() -> None:
    with lock_a:
        with lock_b:
            pass


def _b_then_a() -> None:
    with lock_b:
        with lock_a:
            pass


def ab_ba_deadlock() -> None:
    _run_all(_a_then_b, _b_then_a)


def lock_order_follows_a_setting() -> None:
    """Two workers take two locks in the order a setting says, read once as they start;
    another thread may change the setting first. Each run takes the locks in one order,
    different runs in different orders: a deadlock for the program that does both."""
    a, b = threading.Lock(), threading.Lock()
    setting = {"b first": False}

    def change() -> None:
        setting["b first"] = True

    changer = threading.Thread(target=change)
    changer.start()
    first, second = (b, a) if setting["b first"] else (a, b)

    def take() -> None:
        with first:
            with second:
                pass

    _run_all(take, take)
    changer.join()


def lock_reacquired() -> None:
    lock = threading.Lock()
    with lock:
        with lock:
            pass


def rlock_reacquired() -> None:
    lock = threading.RLock()
    with lock:
        with lock:
            pass


def queue_join_without_task_done() -> None:
    jobs: queue.Queue[int] = queue.Queue()

    def consumer() -> None:
        while True:
            job = jobs.get()
            if job == 2:
                continue  # the error path forgets task_done()
            jobs.task_done()

    threading.Thread(target=consumer, daemon=True).start()
    for job in range(3):
        jobs.put(job)
    jobs.join()


def infinite_loop() -> None:
    n = 0
    while True:
        n += 1


def thread_raises() -> None:
    def worker() -> None:
        raise ValueError("worker failed")

    _run_all(worker)


def check_then_act_on_dict() -> None:
    stock = {"apples": 1}

    def buy() -> None:
        if stock["apples"] > 0:
            stock["apples"] -= 1

    _run_all(buy, buy)
    assert stock["apples"] >= 0, f"oversold: {stock}"
