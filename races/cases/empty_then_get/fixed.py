"""Fix: `get_nowait()`, which checks and takes in one step, and `except queue.Empty`."""

import queue
import threading

taken: list[str] = []


def consume(q: "queue.Queue[str]") -> None:
    try:
        taken.append(q.get_nowait())
    except queue.Empty:
        pass


def scenario() -> None:
    taken.clear()
    q: queue.Queue[str] = queue.Queue()
    q.put("job")
    consumers = [threading.Thread(target=consume, args=(q,)) for _ in range(2)]
    for c in consumers:
        c.start()
    for c in consumers:
        c.join()
    assert taken == ["job"]


if __name__ == "__main__":
    scenario()
    print(f"Taken: {taken}")
