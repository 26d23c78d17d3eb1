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
needs no preemption at all. Both consumers, Thread-1 and Thread-2, find no item and
wait; the producer, Thread-3, puts 1, and its `notify()` wakes Thread-1, which has waited
longest; the producer's put of 2 finds the buffer full, and it waits. Thread-1 takes 1,
and its `notify()` wakes Thread-2, not the producer; Thread-2 finds no item and waits
again.

The producer waits for room that is there, and Thread-2 for an item that only the
producer can put: races prints both stuck in `Condition.wait_for`, below, and MainThread
in `Thread.join`. The mirror image (a producer's notify() waking another producer while a
consumer waits) hangs the same way. No preemption is needed, only the consumers waiting
before the producer runs, as they do when they are started first: real threads hang
this way too (`python -m races.cases.condition_notify_wrong_waiter.broken`).

What races prints
-----------------
`races run condition_notify_wrong_waiter` finds it and prints (CPython 3.11):

    Stuck: every thread waits, and none of them can wake another:
      MainThread waits in Thread.join for Thread-2 (consumer) to finish, at broken.py:100  `t.join()`
      Thread-2 (consumer) waits in Condition.wait_for for a notify/put/set that no running thread can make, at broken.py:77  `self.changed.wait_for(lambda: self.items)`
      Thread-3 (producer) waits in Condition.wait_for for a notify/put/set that no running thread can make, at broken.py:71  `self.changed.wait_for(lambda: len(self.items) < self.capacity)`

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
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 2 counted runs (100%); stopped after 2 hang(s)
    1 us switching        0 of 20 counted runs (0%)
    noise 0.01            2 of 8 counted runs (25%); stopped after 2 hang(s)
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
