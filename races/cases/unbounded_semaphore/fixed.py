"""Fix: `with slots:` pairs each acquire with one release, and a BoundedSemaphore catches extras."""

import threading

SLOTS = 2
slots = threading.BoundedSemaphore(SLOTS)
inside = 0
peak = 0
counter_lock = threading.Lock()


def work(job: str) -> None:
    global inside, peak
    with slots:
        with counter_lock:
            inside += 1
            peak = max(peak, inside)
        try:
            if job == "bad":
                raise ValueError("bad job")
        except ValueError:
            pass  # a real program would log it
        finally:
            with counter_lock:
                inside -= 1


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
