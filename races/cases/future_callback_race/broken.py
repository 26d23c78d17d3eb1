"""Each future's done-callback adds its result to a shared total; two callbacks collide.

What goes wrong
---------------
A callback added with `add_done_callback` runs in the worker thread that completed the
future (or in the caller, if the future is already done). Callbacks of different futures
therefore run concurrently, and `total = total + result` is a read-modify-write: two
callbacks can read the same total, and one addition is lost.

The interleaving races prints, below, shows both places a callback runs. Job 2's future
is already done when MainThread calls `add_done_callback` on it, so its callback runs in
the caller, MainThread; job 1 completes later in the pool, and its callback runs in the
worker thread, ThreadPoolExecutor-0_0. MainThread reads `total` (0) and is preempted;
the worker's callback reads the same 0 and writes 1; MainThread then writes 0 + 2. The
total is 2: job 1's addition is lost.

Whichever threads run them, two callbacks of different futures can run at once.

What races prints
-----------------
`races run future_callback_race` finds it and prints (CPython 3.11):

    Lost update: MainThread read `total` (broken.py:65), ThreadPoolExecutor-0_0 wrote `total`
    (broken.py:66), MainThread wrote `total` (broken.py:66): ThreadPoolExecutor-0_0's update is lost

       15 MainThread value = total   (broken.py:65) [read total]
          -- MainThread is preempted here; ThreadPoolExecutor-0_0 runs
          ... 1 step of ThreadPoolExecutor-0_0
       18 ThreadPoolExecutor-0_0 value = total   (broken.py:65) [read total]
       19 ThreadPoolExecutor-0_0 total = value + future.result()   (broken.py:66) [write total]
          ... 1 step of ThreadPoolExecutor-0_0
       16 MainThread total = value + future.result()   (broken.py:66) [write total]

The fixes
---------
`fixed_lock.py` holds a lock in the callback around the read and the write.
`fixed_as_completed.py` does not share the total at all: the caller collects results
with `as_completed` and adds them up in one thread.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     0 of 20 counted runs (0%)
    1 us switching        0 of 20 counted runs (0%)
    noise 0.01            1 of 20 counted runs (5%)
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
