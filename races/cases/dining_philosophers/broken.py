"""Three philosophers, three forks; each picks up the left fork, then the right one.

What goes wrong
---------------
Philosopher i needs forks i and i+1 (mod 3). If every philosopher takes the left fork
before any takes a right one, each holds exactly the fork the next one needs: a cycle of
three, and no one can eat. It is the lock-order deadlock (`lock_order_deadlock`) with
three parties.

The losing interleaving:

    P0  with forks[0]     P1  with forks[1]     P2  with forks[2]
    P0  with forks[1]: waits for P1   P1  with forks[2]: waits for P2
    P2  with forks[0]: waits for P0   -> the cycle P0 -> P1 -> P2 -> P0

The fixes
---------
`fixed_ordered_forks.py` breaks the symmetry: everyone takes the lower-numbered fork first,
so the last philosopher reaches for fork 0 before fork 2, and the cycle cannot close.
`fixed_waiter.py` lets at most two philosophers sit at the table (a Semaphore of n-1): with
one seat empty, someone always has both neighbours' forks free.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     - (0 of 20)
    1 us switching        - (0 of 20)
    noise 0.01            8% of 13
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
