"""Fix: each worker returns its result, and a Pool carries the return values to the parent."""

import multiprocessing


def work(n: int) -> int:
    return n * n  # the return value is sent back to the parent, not kept in a copy


def run(method: str) -> list[int]:
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(3) as pool:  # on the way out, the pool's processes are stopped and joined
        return sorted(pool.map(work, (1, 2, 3)))


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    got = run(method)
    assert got == [1, 4, 9], f"the parent saw {got} of [1, 4, 9] ({method})"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    print(f"Results from the pool: {run('spawn')}")
