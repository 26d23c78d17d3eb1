"""Fix: use ThreadPoolExecutor; a failing task's exception stays in its future, workers carry on."""

from concurrent.futures import ThreadPoolExecutor

done: list[str] = []


def task(name: str) -> None:
    if name == "bad":
        raise ValueError(f"task {name} failed")
    done.append(name)


def scenario() -> None:
    done.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        futures = [pool.submit(task, name) for name in ("bad", "good")]
    assert isinstance(futures[0].exception(), ValueError)
    assert done == ["good"]


if __name__ == "__main__":
    scenario()
    print(f"Done: {done}")
