"""Fix: `notify_all()` wakes every waiter; each re-checks, and the one that can go on does."""

import threading


class BoundedBuffer:
    def __init__(self, capacity: int) -> None:
        self.items: list[int] = []
        self.capacity = capacity
        self.changed = threading.Condition()

    def put(self, item: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.items) < self.capacity)
            self.items.append(item)
            self.changed.notify_all()  # every waiter wakes and re-checks

    def get(self) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.items)
            item = self.items.pop(0)
            self.changed.notify_all()  # every waiter wakes and re-checks
            return item


def producer(buffer: BoundedBuffer, items: list[int]) -> None:
    for item in items:
        buffer.put(item)


def consumer(buffer: BoundedBuffer, got: list[int]) -> None:
    got.append(buffer.get())


def scenario() -> None:
    buffer = BoundedBuffer(capacity=1)
    got: list[int] = []
    threads = [threading.Thread(target=consumer, args=(buffer, got)) for _ in range(2)]
    threads.append(threading.Thread(target=producer, args=(buffer, [1, 2])))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [1, 2]


def main() -> None:
    scenario()
    print("Every item was produced and consumed.")


if __name__ == "__main__":
    main()
