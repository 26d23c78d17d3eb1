"""Fix: fetch the list, append, assign it back, all under one lock shared by the workers."""

import multiprocessing


def work(name: str, shared, lock) -> None:  # type: ignore[no-untyped-def]
    with lock:  # without it, two workers fetch the same list and one append is lost
        log = shared["log"]
        log.append(name)
        shared["log"] = log  # the assignment is what reaches the manager


def run(method: str) -> list[str]:
    ctx = multiprocessing.get_context(method)
    with ctx.Manager() as manager:
        shared = manager.dict()
        shared["log"] = []
        lock = manager.Lock()
        workers = [ctx.Process(target=work, args=(f"w{n}", shared, lock)) for n in (1, 2)]
        try:
            for p in workers:
                p.start()
        finally:
            for p in workers:
                p.join(timeout=60)
                if p.is_alive():
                    p.kill()
                    p.join()
        return sorted(shared["log"])


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    log = run(method)
    assert log == ["w1", "w2"], f"the shared log holds {log} of ['w1', 'w2'] ({method})"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    print(f"The shared log: {run('spawn')}")
