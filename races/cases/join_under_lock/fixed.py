"""Fix: join first, then take the lock. Never wait for a thread while holding what it needs."""

import threading

results: list[int] = []
results_lock = threading.Lock()


def worker() -> None:
    value = 6 * 7
    with results_lock:
        results.append(value)


def scenario() -> None:
    results.clear()
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    with results_lock:
        assert results == [42]


def main() -> None:
    scenario()
    print(f"Done: {results}")


if __name__ == "__main__":
    main()
