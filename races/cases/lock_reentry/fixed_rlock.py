"""Fix: an RLock, which its owner may acquire again; it is freed when every acquire is released."""

import threading


class Account:
    def __init__(self, balance: int) -> None:
        self.balance = balance
        self.lock = threading.RLock()

    def deposit(self, amount: int) -> None:
        with self.lock:
            self.balance += amount

    def withdraw(self, amount: int) -> None:
        with self.lock:
            self.balance -= amount

    def transfer(self, other: "Account", amount: int) -> None:
        with self.lock:
            self.withdraw_fee()
            other.deposit(amount)
            self.balance -= amount

    def withdraw_fee(self) -> None:
        self.withdraw(1)  # re-enters self.lock: fine for an RLock


def scenario() -> None:
    a, b = Account(100), Account(0)
    a.transfer(b, 10)
    assert (a.balance, b.balance) == (89, 10)


def main() -> None:
    scenario()
    print("Transfer done: an RLock lets its owner take it again.")


if __name__ == "__main__":
    main()
