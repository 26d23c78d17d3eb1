"""Fix: two Conditions on one Lock, `not_full` for producers and `not_empty` for consumers."""

import threading


class BoundedBuffer:
    def __init__(self, capacity: int) -> None:
        self.items: list[int] = []
        self.capacity = capacity
        lock = threading.Lock()
        self.not_full = threading.Condition(lock)  # producers wait here
        self.not_empty = threading.Condition(lock)  # consumers wait here

    def put(self, item: int) -> None:
        with self.not_full:
            self.not_full.wait_for(lambda: len(self.items) < self.capacity)
            self.items.append(item)
            self.not_empty.notify()  # wakes a consumer, never a producer

    def get(self) -> int:
        with self.not_empty:
            self.not_empty.wait_for(lambda: self.items)
            item = self.items.pop(0)
            self.not_full.notify()  # wakes a producer, never a consumer
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
