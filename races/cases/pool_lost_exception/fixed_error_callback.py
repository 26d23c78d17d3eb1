"""Fix: fire and forget, but with an error_callback: the pool hands over each failure."""

import multiprocessing


def job(n: int, started) -> int:  # type: ignore[no-untyped-def]
    started.put(n)
    if n == 3:
        raise ValueError(f"job {n} failed")
    return n * n


def run(method: str) -> tuple[list[int], list[int], list[str]]:
    ctx = multiprocessing.get_context(method)
    manager = ctx.Manager()
    with manager:
        started = manager.Queue()
        results: list[int] = []
        errors: list[str] = []
        with ctx.Pool(2) as pool:
            for n in range(5):
                pool.apply_async(
                    job,
                    (n, started),
                    callback=results.append,
                    # Called, in the pool's result thread, with each failed job's exception.
                    error_callback=lambda exc: errors.append(str(exc)),
                )
            pool.close()
            pool.join()
        ran = sorted(started.get() for _ in range(started.qsize()))
    return ran, results, errors


def check(method: str) -> None:
    ran, results, errors = run(method)
    lost = len(ran) - len(results) - len(errors)
    assert lost == 0, (
        f"{lost} of {len(ran)} started jobs left no result and no error ({method}): "
        f"{len(results)} results, {len(errors)} errors"
    )


def scenario() -> None:
    check("spawn")


def stress(method: str) -> None:
    """One run on real processes, started with ``method`` ("fork" or "spawn")."""
    check(method)


if __name__ == "__main__":
    ran, results, errors = run("spawn")
    print(f"Jobs started: {ran}; results: {sorted(results)}; errors: {errors}")
