"""Fix: one Lock held across the check and the act, which become a single step."""

import threading

balance = 100
balance_lock = threading.Lock()


def withdraw(amount: int) -> None:
    global balance
    with balance_lock:
        if balance >= amount:
            balance -= amount


def scenario() -> None:
    global balance
    balance = 100
    clerks = [threading.Thread(target=withdraw, args=(80,)) for _ in range(2)]
    for clerk in clerks:
        clerk.start()
    for clerk in clerks:
        clerk.join()
    assert balance >= 0, f"overdrawn: balance is {balance}"


def main() -> None:
    for _ in range(2000):
        scenario()
    print("2000 runs, never overdrawn.")


if __name__ == "__main__":
    main()
