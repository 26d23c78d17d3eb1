"""Fix: public methods take the Lock once; internal helpers expect it held and never take it."""

import threading


class Account:
    def __init__(self, balance: int) -> None:
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount: int) -> None:
        with self.lock:
            self._deposit_unlocked(amount)

    def withdraw(self, amount: int) -> None:
        with self.lock:
            self._withdraw_unlocked(amount)

    def transfer(self, other: "Account", amount: int) -> None:
        with self.lock:
            self._withdraw_unlocked(1)  # the fee, without taking the lock again
            self.balance -= amount
        other.deposit(amount)  # the other account's own lock, not held with ours

    def _deposit_unlocked(self, amount: int) -> None:
        self.balance += amount

    def _withdraw_unlocked(self, amount: int) -> None:
        self.balance -= amount


def scenario() -> None:
    a, b = Account(100), Account(0)
    a.transfer(b, 10)
    assert (a.balance, b.balance) == (89, 10)


def main() -> None:
    scenario()
    print("Transfer done: helpers that expect the lock held never take it again.")


if __name__ == "__main__":
    main()
