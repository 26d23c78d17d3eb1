"""Three philosophers, three forks; each picks up the left fork, then the right one.

What goes wrong
---------------
Philosopher i needs forks i and i+1 (mod 3). If every philosopher takes the left fork
before any takes a right one, each holds exactly the fork the next one needs: a cycle of
three, and no one can eat. It is the lock-order deadlock (`lock_order_deadlock`) with
three parties.

In the run races prints, below, philosophers 0, 1 and 2 are Thread-1, Thread-2 and
Thread-3: each holds its left fork and waits for its right one, held by the next. The
cycle is Thread-1 -> Thread-2 -> Thread-3 -> Thread-1.

What races prints
-----------------
`races run dining_philosophers` finds it and prints (CPython 3.11):

    Deadlock: these threads wait for each other in a cycle:
      Thread-1 (philosopher)
        holds forks[0] (Lock) (acquired at broken.py:56  `with left:`)
        waits in Lock.acquire for forks[1] (Lock) (held by Thread-2 (philosopher)), at broken.py:57  `with right:`
      Thread-2 (philosopher)
        holds forks[1] (Lock) (acquired at broken.py:56  `with left:`)
        waits in Lock.acquire for forks[2] (Lock) (held by Thread-3 (philosopher)), at broken.py:57  `with right:`
      Thread-3 (philosopher)
        holds forks[2] (Lock) (acquired at broken.py:56  `with left:`)
        waits in Lock.acquire for forks[0] (Lock) (held by Thread-1 (philosopher)), at broken.py:57  `with right:`

The fixes
---------
`fixed_ordered_forks.py` breaks the symmetry: everyone takes the lower-numbered fork first,
so the last philosopher reaches for fork 0 before fork 2, and the cycle cannot close.
`fixed_waiter.py` lets at most two philosophers sit at the table (a Semaphore of n-1): with
one seat empty, someone always has both neighbours' forks free.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        no run counted (20 made, none with overlapping threads)
    noise 0.01            1 of 12 counted runs (8%)
    the scheduler         14 schedule(s)
"""

import threading

SEATS = 3
meals: list[int] = []


def philosopher(i: int, forks: list[threading.Lock]) -> None:
    left, right = forks[i], forks[(i + 1) % SEATS]
    with left:
        with right:
            meals.append(i)


def scenario() -> None:
    meals.clear()
    forks = [threading.Lock() for _ in range(SEATS)]
    diners = [threading.Thread(target=philosopher, args=(i, forks)) for i in range(SEATS)]
    for d in diners:
        d.start()
    for d in diners:
        d.join()
    assert sorted(meals) == list(range(SEATS))


if __name__ == "__main__":
    scenario()
    print(f"Meals: {meals}")
