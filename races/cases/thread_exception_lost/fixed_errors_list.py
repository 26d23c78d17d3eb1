"""Fix: catch the exception in the thread, hand it over in a list, raise it in the caller."""

import threading


def save(order: str, saved: list[str], errors: list[Exception]) -> None:
    try:
        if not order.isdigit():
            raise ValueError(f"bad order {order!r}")
        saved.append(order)
    except Exception as exc:  # noqa: BLE001 - handed to the caller, not swallowed
        errors.append(exc)


def save_all(orders: list[str]) -> list[str]:
    """Save every order, each in its own thread; return the orders saved."""
    saved: list[str] = []
    errors: list[Exception] = []
    workers = [threading.Thread(target=save, args=(order, saved, errors)) for order in orders]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]  # the first failure, in the caller's thread
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
