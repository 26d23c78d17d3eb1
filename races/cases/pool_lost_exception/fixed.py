"""Fix: keep the AsyncResults and call get() on each; a failure is raised right there."""

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
            pending = [pool.apply_async(job, (n, started)) for n in range(5)]
            for result in pending:
                try:
                    results.append(result.get(timeout=60))
                except ValueError as exc:  # the job's own exception, raised in the caller
                    errors.append(str(exc))
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
