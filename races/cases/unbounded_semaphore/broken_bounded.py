"""The same double release on a BoundedSemaphore: the bug now fails loudly, where it is.

The error path still releases twice, but a `BoundedSemaphore` knows its initial value
and raises `ValueError: Semaphore released too many times` at the release beyond it. In
the report races prints, below, Thread-1 takes a slot, its job "bad" fails, and it
releases the slot in the `except` block; its release again on the normal path raises the
`ValueError`, here, in the thread with the bug.

The bad worker fails right where the cause is, instead of three workers crowding into
two slots later, far away. That is why `fixed.py` uses one, on top of pairing every
acquire with one release.

What races prints
-----------------
`races run unbounded_semaphore --variant broken_bounded` finds it and prints (CPython 3.11):

    Over-release: Thread-1 (work) released `slots` at broken_bounded.py:59 once more than it was taken
    (took it at broken_bounded.py:46, released it at broken_bounded.py:58): the BoundedSemaphore refused
    it with ValueError, here, where the bug is

    Uncaught exception: Thread-1 (work) raised ValueError: Semaphore released too many times at broken_bounded.py:59  `slots.release()  # ...and so does the normal path: ValueError, here, for a bad job`; no caller heard of it: threading.excepthook prints it, the thread ends, and the program goes on

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        1 of 1 counted runs (100%)
    noise 0.01            8 of 8 counted runs (100%)
    the scheduler         1 schedule(s)
"""

import threading

SLOTS = 2
slots = threading.BoundedSemaphore(SLOTS)
inside = 0
peak = 0
counter_lock = threading.Lock()


def work(job: str) -> None:
    global inside, peak
    slots.acquire()
    try:
        with counter_lock:
            inside += 1
            peak = max(peak, inside)
        if job == "bad":
            raise ValueError("bad job")
        with counter_lock:
            inside -= 1
    except ValueError:
        with counter_lock:
            inside -= 1
        slots.release()  # the error path gives the slot back...
    slots.release()  # ...and so does the normal path: ValueError, here, for a bad job


def run(jobs: list[str]) -> int:
    global slots, inside, peak
    slots, inside, peak = threading.BoundedSemaphore(SLOTS), 0, 0
    bad = threading.Thread(target=work, args=(jobs[0],))
    bad.start()
    bad.join()
    workers = [threading.Thread(target=work, args=(job,)) for job in jobs[1:]]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return peak


def scenario() -> None:
    top = run(["bad", "ok", "ok", "ok"])
    assert top <= SLOTS, f"{top} workers inside a {SLOTS}-slot section"


if __name__ == "__main__":
    print(f"Peak occupancy: {run(['bad', 'ok', 'ok', 'ok'])} (limit {SLOTS})")
