"""Fix: wait for a predicate checked under the lock: `cond.wait_for(lambda: result is not None)`."""

import threading

cond = threading.Condition()
result: int | None = None


def producer() -> None:
    global result
    with cond:
        result = 42
        cond.notify()


def consumer(seen: list[int | None]) -> None:
    with cond:
        cond.wait_for(lambda: result is not None)
        seen.append(result)


def scenario() -> None:
    global result
    result = None
    seen: list[int | None] = []
    c = threading.Thread(target=consumer, args=(seen,))
    p = threading.Thread(target=producer)
    c.start()
    p.start()
    c.join()
    p.join()
    assert seen == [42]


if __name__ == "__main__":
    scenario()
    print("The consumer saw the result.")
