"""Each future's done-callback adds its result to a shared total; two callbacks collide.

What goes wrong
---------------
A callback added with `add_done_callback` runs in the worker thread that completed the
future (or in the caller, if the future is already done). Callbacks of different futures
therefore run concurrently, and `total = total + result` is a read-modify-write: two
callbacks can read the same total, and one addition is lost.

The losing interleaving races finds (shortened from its report) shows both places a
callback runs. The first future is done before `add_done_callback` is called, so its
callback runs in the caller, MainThread; the second completes in the pool, and its
callback runs in the worker thread:

    MainThread              value = total                      reads 0 (callback of job 1)
                            -- preempted --
    ThreadPoolExecutor-0_0  value = total                      reads 0 (callback of job 2)
    ThreadPoolExecutor-0_0  total = value + future.result()    total = 2
    MainThread              total = value + future.result()    total = 1: the 2 is lost

Whichever threads run them, two callbacks of different futures can run at once.

The fixes
---------
`fixed_lock.py` holds a lock in the callback around the read and the write.
`fixed_as_completed.py` does not share the total at all: the caller collects results
with `as_completed` and adds them up in one thread.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     0% of 20
    1 us switching        0% of 20
    noise 0.01            5% of 20
    the scheduler         3 schedule(s)
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor

total = 0


def task(n: int, both_running: threading.Barrier) -> int:
    both_running.wait()  # two workers busy at once, as under real load
    return n


def add_result(future: "Future[int]") -> None:
    global total
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
