"""Fix: keep the AsyncResults and call get() on each; a failure is raised right there."""

import multiprocessing


def job(n: int) -> int:
    if n == 3:
        raise ValueError(f"job {n} failed")
    return n * n


def run(method: str) -> list[str]:
    errors: list[str] = []
    with multiprocessing.get_context(method).Pool(2) as pool:
        results = [pool.apply_async(job, (n,)) for n in range(5)]
        for result in results:
            try:
                result.get(timeout=60)
            except ValueError as exc:
                errors.append(str(exc))
    return errors


def scenario() -> None:
    errors = run("spawn")
    assert errors, "job 3 failed and nobody heard of it"


def stress() -> None:
    for method in ("fork", "spawn"):
        errors = run(method)
        assert errors, f"job 3 failed and nobody heard of it ({method})"


if __name__ == "__main__":
    print(f"Errors reported: {run('spawn')}")
