"""A Semaphore guards 2 slots; a failing job releases twice, and later 3 workers get in at once.

What goes wrong
---------------
A `Semaphore` is only a counter: `release()` adds one, whoever calls it, however often.
Here a job that fails releases its slot in the `except` block, and then again in the
normal path. The counter now allows 3 workers where the code meant 2, and nothing
complains: the symptom (too many workers inside) shows up later, far from the cause.

The program runs the job "bad" on Thread-1 first, then three "ok" jobs at once on three
more threads, with 2 slots. races prints the cause, below, rather than the symptom:
Thread-1 took its slot once and released it twice, in the `except` block and again on
the normal path, so the semaphore now lets 3 threads in where it was made for 2. The run
goes on until it shows: 3 workers inside a 2-slot section.

What races prints
-----------------
`races run unbounded_semaphore` finds it and prints (CPython 3.11):

    Over-release: Thread-1 (work) released `slots` at broken.py:67 once more than it was taken (took it
    at broken.py:54, released it at broken.py:66): it now lets 3 threads in where it was made for 2 (a
    BoundedSemaphore raises ValueError here)

The fix
-------
`fixed.py` pairs every acquire with exactly one release (`with slots:`), and uses a
`BoundedSemaphore`, which raises `ValueError` on a release beyond its initial value: had
the double release survived, it would fail right where it happens instead of later
(`broken_bounded.py` shows that: the same bug, caught at the extra release).

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        0 of 1 counted runs (0%)
    noise 0.01            0 of 7 counted runs (0%)
    the scheduler         1 schedule(s)
"""

import threading

SLOTS = 2
slots = threading.Semaphore(SLOTS)
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
    slots.release()  # ...and so does the normal path: twice for a bad job


def run(jobs: list[str]) -> int:
    global slots, inside, peak
    slots, inside, peak = threading.Semaphore(SLOTS), 0, 0
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
