"""Fix: take the lower-numbered fork first. The last philosopher reverses, and the cycle cannot close."""

import threading

SEATS = 3
meals: list[int] = []


def philosopher(i: int, forks: list[threading.Lock]) -> None:
    a, b = sorted((i, (i + 1) % SEATS))
    with forks[a]:
        with forks[b]:
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
