"""Two threads take tickets from one generator with `next()`; one finds it already running.

What goes wrong
---------------
A generator runs in the thread that calls `next()` on it, from where it stopped to its
next `yield`. It has one frame, and that frame can run in one thread at a time; but a
generator has no lock, and does not wait for itself either. A `next()` that comes while
another thread is still inside the generator's body fails at once with
`ValueError: generator already executing`. Nothing about the generator says so: shared
iterators look like shared values, and sharing one looks harmless.

In the run races prints, below (two threads, one ticket each), Thread-1's `next(tickets)`
starts the generator's frame and is preempted inside it, before it reaches `yield`;
Thread-2's `next(tickets)` then fails at once. Thread-2 dies of the ValueError, without
its ticket: races reports the exception that nobody caught ("thread exception"). The generator itself is unharmed, so the program
goes on, one ticket short. Real threads need only one switch at the wrong moment: four
threads taking 100,000 tickets each (`python -m races.cases.generator_already_executing.broken`)
rarely all survive. At `races stress` size (25,000 each) a thread takes all its tickets
within one switch interval unless switching is forced, so the default row counts no run.

What races prints
-----------------
`races run generator_already_executing` finds it and prints (CPython 3.11):

    Uncaught exception: Thread-2 (take_tickets) raised ValueError: generator already executing at broken.py:62  `taken.append(next(tickets))`; no caller heard of it: threading.excepthook prints it, the thread ends, and the program goes on

The fixes
---------
`fixed_lock.py` holds a Lock around `next(tickets)`: one thread at a time is inside the
generator, and the others wait for their turn instead of failing. `fixed_queue.py` lets
one thread alone drive the generator: the main thread takes each ticket and puts it on
a `queue.Queue`, and the workers `get()` them from there; the queue does the locking.

See also `unlocked_counter`: another thread can also run between the steps of code that
reads like one step.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        18 of 20 counted runs (90%)
    noise 0.01            20 of 20 counted runs (100%)
    the scheduler         2 schedule(s)
"""

import threading
from collections.abc import Iterator


def ticket_numbers() -> Iterator[int]:
    number = 0
    while True:
        number += 1
        yield number


def take_tickets(tickets: Iterator[int], count: int, taken: list[int]) -> None:
    for _ in range(count):
        taken.append(next(tickets))


def run(threads: int, count: int) -> list[int]:
    tickets = ticket_numbers()
    taken: list[int] = []
    workers = [
        threading.Thread(target=take_tickets, args=(tickets, count, taken)) for _ in range(threads)
    ]
    for w in workers:
        w.start()
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
