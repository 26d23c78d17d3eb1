"""Fix: the array's own lock around each update: one process at a time reads and writes."""

import multiprocessing

SLOTS = 2


def work(counts, times: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(times):
        with counts.get_lock():  # the array's own lock, around the read and the write
            counts[i % SLOTS] += 1


def run(method: str, processes: int = 4, times: int = 5000) -> list[int]:
    ctx = multiprocessing.get_context(method)
    counts = ctx.Array("i", SLOTS)
    workers = [ctx.Process(target=work, args=(counts, times)) for _ in range(processes)]
    try:
        for p in workers:
            p.start()
    finally:
        for p in workers:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
                p.join()
    return [int(counts[i]) for i in range(SLOTS)]


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    counts = run(method)
    lost = 20000 - sum(counts)
    assert lost == 0, f"lost update ({method}): {lost} of 20000 increments lost, slots {counts}"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    for method in ("fork", "spawn"):
        if method in multiprocessing.get_all_start_methods():
            counts = run(method)
            print(f"{method}: 4 processes x 5000 locked increments over {SLOTS} slots: {counts}")
    print("(expected 10000 each)")
