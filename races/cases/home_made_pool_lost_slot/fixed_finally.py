"""Fix: give the slot back in `finally:`, so a failing task returns it too."""

import queue
import threading

done: list[str] = []


def task(name: str, slots: "queue.Queue[int]") -> None:
    slot = slots.get()
    try:
        if name == "bad":
            raise ValueError(f"task {name} failed")
        done.append(name)
    finally:
        slots.put(slot)


def scenario() -> None:
    done.clear()
    slots: queue.Queue[int] = queue.Queue()
    slots.put(0)
    for name in ("bad", "good"):
        t = threading.Thread(target=lambda n=name: _quietly(task, n, slots))
        t.start()
        t.join()
    assert done == ["good"]


def _quietly(fn, *args) -> None:  # type: ignore[no-untyped-def]
    try:
        fn(*args)
    except ValueError:
        pass


if __name__ == "__main__":
    scenario()
    print(f"Done: {done}")
