"""Fix: a ThreadPoolExecutor keeps each task's exception in its future; `result()` raises it."""

from concurrent.futures import ThreadPoolExecutor


def save(order: str, saved: list[str]) -> None:
    if not order.isdigit():
        raise ValueError(f"bad order {order!r}")
    saved.append(order)


def save_all(orders: list[str]) -> list[str]:
    """Save every order, each in a pool thread; return the orders saved."""
    saved: list[str] = []
    with ThreadPoolExecutor(max_workers=len(orders)) as pool:
        futures = [pool.submit(save, order, saved) for order in orders]
    for future in futures:
        future.result()  # raises the task's exception here, in the caller's thread
    return saved


def place(orders: list[str]) -> None:
    try:
        saved = save_all(orders)
    except ValueError:
        return  # the caller heard of the failure: it can retry, or tell the user
    missing = sorted(set(orders) - set(saved))
    assert not missing, f"save_all returned normally, but {missing} were not saved"


def scenario() -> None:
    place(["17", "x9"])


def stress(orders: int = 100) -> None:
    """The same program at stress size, for real threads (`races stress thread_exception_lost`)."""
    place([str(n) for n in range(orders - 1)] + ["x9"])


def main() -> None:
    orders = ["17", "x9"]
    try:
        saved = save_all(orders)
    except ValueError as exc:
        print(f"The caller heard: {exc}")
    else:
        print(f"save_all returned {saved} for {orders}, and raised nothing.")


if __name__ == "__main__":
    main()
