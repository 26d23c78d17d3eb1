"""Fix: `cond.wait_for(lambda: items)`: after every wake-up, check again under the lock."""

import threading

items: list[int] = []
cond = threading.Condition()
got: list[int] = []


def consumer() -> None:
    with cond:
        cond.wait_for(lambda: items)
        got.append(items.pop())


def producer() -> None:
    for item in (1, 2):
        with cond:
            items.append(item)
            cond.notify_all()


def scenario() -> None:
    items.clear()
    got.clear()
    threads = [threading.Thread(target=consumer) for _ in range(2)]
    threads.append(threading.Thread(target=producer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [1, 2]


if __name__ == "__main__":
    scenario()
    print(f"Consumers got {got}")
