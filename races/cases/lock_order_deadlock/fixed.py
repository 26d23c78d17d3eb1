"""Fix: one global lock order. Every transfer locks the account with the smaller id first."""

import threading


class Account:
    def __init__(self, ident: int, balance: int) -> None:
        self.ident = ident
        self.balance = balance
        self.lock = threading.Lock()


def transfer(source: Account, target: Account, amount: int) -> None:
    first, second = sorted((source, target), key=lambda account: account.ident)
    with first.lock:
        with second.lock:
            source.balance -= amount
            target.balance += amount


def scenario() -> None:
    a, b = Account(1, 100), Account(2, 100)
    t1 = threading.Thread(target=transfer, args=(a, b, 10))
    t2 = threading.Thread(target=transfer, args=(b, a, 20))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    assert a.balance + b.balance == 200


def main() -> None:
    for _ in range(1000):
        scenario()
    print("1000 runs, no deadlock: every thread takes the locks in the same order.")


if __name__ == "__main__":
    main()
