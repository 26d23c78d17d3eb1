"""Fix: keep the futures and call result() on each: a worker's error is raised in the caller."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def job(n: int, started) -> int:  # type: ignore[no-untyped-def]
    started.put(n)
    if n == 3:
        raise ValueError(f"job {n} failed")
    return n * n


def run(method: str) -> tuple[int, list[int], list[str]]:
    ctx = multiprocessing.get_context(method)
    with ctx.Manager() as manager:
        started = manager.Queue()
        results: list[int] = []
        errors: list[str] = []
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
            futures = [pool.submit(job, n, started) for n in range(5)]
            for future in futures:
                try:
                    results.append(future.result(timeout=60))
                except ValueError as exc:  # the worker's exception, raised here
                    errors.append(str(exc))
        return started.qsize(), results, errors


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    ran, results, errors = run(method)
    lost = ran - len(results) - len(errors)
    assert lost == 0, f"{lost} of {ran} started jobs left no result and no error ({method})"


def scenario() -> None:
    stress("spawn")


if __name__ == "__main__":
    ran, results, errors = run("spawn")
    print(f"{ran} jobs started; results: {sorted(results)}; errors: {errors}")
