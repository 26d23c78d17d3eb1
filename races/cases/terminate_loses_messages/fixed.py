"""Fix: a sentinel after the writers are joined, and a normal join() of the reader."""

import multiprocessing
import time

WRITERS = 2
MESSAGES = 100
DONE = None


def write(queue, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(MESSAGES):
        queue.put((n, i))


def read(queue, handled) -> None:  # type: ignore[no-untyped-def]
    while queue.get() is not DONE:
        time.sleep(0.001)  # handling a message takes longer than writing one
        with handled.get_lock():
            handled.value += 1


def run(method: str) -> int:
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    handled = ctx.Value("i", 0)
    reader = ctx.Process(target=read, args=(queue, handled))
    writers = [ctx.Process(target=write, args=(queue, n)) for n in range(WRITERS)]
    reader.start()
    for w in writers:
        w.start()
    try:
        for w in writers:
            w.join(timeout=60)
        queue.put(DONE)
        reader.join(timeout=60)
    finally:
        for p in [reader, *writers]:
            if p.is_alive():
                p.kill()
            p.join()
    return int(handled.value)


def scenario() -> None:
    handled = run("spawn")
    assert handled == WRITERS * MESSAGES, f"{WRITERS * MESSAGES - handled} messages lost"


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    handled = run(method)
    assert handled == WRITERS * MESSAGES, f"{WRITERS * MESSAGES - handled} messages lost ({method})"


if __name__ == "__main__":
    print(f"Handled {run('spawn')} of {WRITERS * MESSAGES} messages.")
