"""Fix: collect each future as it completes with as_completed; errors reach the caller."""

from concurrent.futures import ThreadPoolExecutor, as_completed

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
        for future in as_completed(futures):
            error = future.exception()
            if error is not None:
                errors.append(str(error))
    assert len(saved) + len(errors) == 2, f"{2 - len(saved) - len(errors)} job(s) unaccounted for"


if __name__ == "__main__":
    scenario()
    print("Every error reached the caller.")
