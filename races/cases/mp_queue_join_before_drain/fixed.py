"""Fix: drain the queue before joining the process that fills it."""

import multiprocessing

ITEMS = 4
SIZE = 100_000


def produce(queue) -> None:  # type: ignore[no-untyped-def]
    for _ in range(ITEMS):
        queue.put(bytes(SIZE))


def run(method: str) -> int:
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    child = ctx.Process(target=produce, args=(queue,))
    child.start()
    try:
        received = sum(len(queue.get(timeout=60)) for _ in range(ITEMS))
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
            child.join()
    assert received == ITEMS * SIZE
    return received


def scenario() -> None:
    run("spawn")


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    run(method)


if __name__ == "__main__":
    print(f"Received {run('spawn')} bytes.")
