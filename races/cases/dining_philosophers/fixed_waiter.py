"""Fix: a waiter (a Semaphore of n-1 seats). With one seat empty, someone can always eat."""

import threading

SEATS = 3
meals: list[int] = []


def philosopher(i: int, forks: list[threading.Lock], seats: threading.Semaphore) -> None:
    left, right = forks[i], forks[(i + 1) % SEATS]
    with seats:
        with left:
            with right:
                meals.append(i)


def scenario() -> None:
    meals.clear()
    forks = [threading.Lock() for _ in range(SEATS)]
    seats = threading.Semaphore(SEATS - 1)
    diners = [threading.Thread(target=philosopher, args=(i, forks, seats)) for i in range(SEATS)]
    for d in diners:
        d.start()
    for d in diners:
        d.join()
    assert sorted(meals) == list(range(SEATS))


if __name__ == "__main__":
    scenario()
    print(f"Meals: {meals}")
