"""Fix: keep the futures and call result() on each: a failure is raised in the caller."""

from concurrent.futures import ThreadPoolExecutor

saved: list[int] = []


def save(record: int) -> None:
    if record == 2:
        raise ValueError(f"cannot save record {record}")
    saved.append(record)


def scenario() -> None:
    saved.clear()
    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(save, record) for record in (1, 2)]
        for future in futures:
            try:
                future.result()
            except ValueError as exc:  # the job's own exception, raised here
                errors.append(str(exc))
    assert len(saved) + len(errors) == 2, f"{2 - len(saved) - len(errors)} job(s) unaccounted for"


if __name__ == "__main__":
    scenario()
    print("Every error reached the caller.")
