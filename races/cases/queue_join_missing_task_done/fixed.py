"""Fix: `task_done()` in a `finally:` block, so every job is marked done, even one that fails."""

import queue
import threading

jobs: "queue.Queue[str]" = queue.Queue()
done: list[str] = []


def process(job: str) -> str:
    if job == "bad":
        raise ValueError("cannot process a bad job")
    return job.upper()


def consumer() -> None:
    while True:
        job = jobs.get()
        try:
            done.append(process(job))
        except ValueError:
            pass  # a real program would log it
        finally:
            jobs.task_done()


def scenario() -> None:
    done.clear()
    threading.Thread(target=consumer, daemon=True).start()
    for job in ("ok", "bad", "ok"):
        jobs.put(job)
    jobs.join()


def main() -> None:
    scenario()
    print(f"All jobs marked done: {done}")


if __name__ == "__main__":
    main()
