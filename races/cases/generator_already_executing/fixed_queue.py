"""Fix: one thread alone drives the generator and hands its tickets out through a queue.Queue."""

import queue
import threading
from collections.abc import Iterator


def ticket_numbers() -> Iterator[int]:
    number = 0
    while True:
        number += 1
        yield number


def take_tickets(counter: "queue.Queue[int]", count: int, taken: list[int]) -> None:
    for _ in range(count):
        taken.append(counter.get())


def run(threads: int, count: int) -> list[int]:
    counter: queue.Queue[int] = queue.Queue()
    taken: list[int] = []
    workers = [
        threading.Thread(target=take_tickets, args=(counter, count, taken)) for _ in range(threads)
    ]
    for w in workers:
        w.start()
    tickets = ticket_numbers()
    for _ in range(threads * count):
        counter.put(next(tickets))  # this thread is the only one that calls next()
    for w in workers:
        w.join()
    return taken


def scenario() -> None:
    taken = run(threads=2, count=1)
    assert sorted(taken) == [1, 2], f"tickets taken: {taken}"


def stress(threads: int = 4, count: int = 25_000) -> None:
    """The same program at stress size, for real threads (`races stress generator_already_executing`).

    A thread that dies of the ValueError is the outcome; the tickets taken stay distinct.
    """
    taken = run(threads=threads, count=count)
    assert len(set(taken)) == len(taken), "a ticket was handed out twice"


def main() -> None:
    errors: list[BaseException | None] = []
    threading.excepthook = lambda args: errors.append(args.exc_value)
    taken = run(threads=4, count=100_000)
    print(
        f"4 threads x 100,000 next() calls: {len(taken)} tickets taken, {len(errors)} thread(s) died"
    )
    for error in errors[:1]:
        print(f"  {type(error).__name__}: {error}")


if __name__ == "__main__":
    main()
