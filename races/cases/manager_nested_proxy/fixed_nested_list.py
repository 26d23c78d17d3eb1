"""Fix: the dict holds a manager.list(): a proxy inside a proxy, whose append is shared."""

import multiprocessing


def work(name: str, shared) -> None:  # type: ignore[no-untyped-def]
    shared["log"].append(name)  # the proxy's append: done in the manager


def run(method: str) -> list[str]:
    ctx = multiprocessing.get_context(method)
    with ctx.Manager() as manager:
        shared = manager.dict()
        shared["log"] = manager.list()
        workers = [ctx.Process(target=work, args=(f"w{n}", shared)) for n in (1, 2)]
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
