"""Producers and consumers share one Condition, and `notify()` wakes one waiter of either kind.

What goes wrong
---------------
`notify()` wakes one thread waiting on the Condition (in CPython, the one that has
waited longest), whatever that thread waits for. When producers (waiting for room) and
consumers (waiting for an item) share one Condition, the thread woken may be of the
wrong kind: a consumer's `notify()`, meant to say "there is room now", can wake another
consumer instead of the producer. The woken consumer re-checks its predicate (`wait_for`
does), finds no item, and waits again, without passing the wake-up on. The producer it
was meant for sleeps on, and once every thread waits, nobody is left to notify anyone.

The losing run (capacity 1, one producer of two items, two consumers of one each)
needs no preemption at all:

    Thread-1 (consumer)  get(): no item, waits                waiting: [C1]
    Thread-2 (consumer)  get(): no item, waits                waiting: [C1, C2]
    Thread-3 (producer)  put(1); notify() wakes C1            waiting: [C2]
    Thread-3 (producer)  put(2): the buffer is full, waits    waiting: [C2, P]
    Thread-1 (consumer)  takes 1; notify() wakes C2, not P    waiting: [P]
    Thread-1 (consumer)  done
    Thread-2 (consumer)  no item: waits again                 waiting: [P, C2]

The producer waits for room that is there, and Thread-2 for an item that only the
producer can put: races reports both stuck in `Condition.wait_for`, and MainThread in
`Thread.join`. The mirror image (a producer's notify() waking another producer while a
consumer waits) hangs the same way. No preemption is needed, only the consumers waiting
before the producer runs, as they do when they are started first: real threads hang
this way too (`python -m races.cases.condition_notify_wrong_waiter.broken`).

The fixes
---------
`fixed_two_conditions.py` gives each kind of waiter its own Condition, both on one
Lock: producers wait on `not_full` and consumers on `not_empty`, and each side notifies
the other's. A `notify()` can then only wake a thread that can use it.
`fixed_notify_all.py` keeps one Condition but calls `notify_all()`: every waiter wakes
and re-checks, and the right one goes on (at the price of waking the rest for nothing).
`queue.Queue` is a bounded buffer built the first way.

See also `condition_if_not_while` and `lost_wakeup`, the other ways a Condition's
wake-up is lost or misread.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     100% of 2
    1 us switching        100% of 2
    noise 0.01            100% of 2
    the scheduler         9 schedule(s)
"""

import threading


class BoundedBuffer:
    def __init__(self, capacity: int) -> None:
        self.items: list[int] = []
        self.capacity = capacity
        self.changed = threading.Condition()  # one Condition for both kinds of waiter

    def put(self, item: int) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.items) < self.capacity)
            self.items.append(item)
            self.changed.notify()  # meant for a consumer; may wake a producer

    def get(self) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.items)
            item = self.items.pop(0)
            self.changed.notify()  # meant for a producer; may wake a consumer
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
    runner = threading.Thread(target=scenario, daemon=True)
    runner.start()
    runner.join(timeout=1)
    if runner.is_alive():
        print("Hung: a notify() woke a waiter of the wrong kind, and everyone waits.")
    else:
        print("Every item was produced and consumed, this time.")


if __name__ == "__main__":
    main()
