"""Fix: a blocking `q.get()` loop that ends on a sentinel the producer puts last."""

import queue
import threading

handled: list[int] = []
DONE = None


def consumer(q: "queue.Queue[int | None]") -> None:
    while True:
        item = q.get()
        if item is DONE:
            q.task_done()
            return
        handled.append(item)
        q.task_done()


def scenario() -> None:
    handled.clear()
    q: queue.Queue[int | None] = queue.Queue()
    threading.Thread(target=consumer, args=(q,), daemon=True).start()
    for item in (1, 2):
        q.put(item)
    q.put(DONE)
    q.join()
    assert handled == [1, 2]


if __name__ == "__main__":
    scenario()
    print(f"Handled {handled}")
