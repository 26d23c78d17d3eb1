"""An account whose `transfer` holds the account's Lock and charges a fee through `withdraw`, which takes it again.

What goes wrong
---------------
`threading.Lock` is not re-entrant: it does not know who holds it, so when the thread
that holds it calls `acquire` again, it waits for itself, forever. Here `transfer` takes
`self.lock` and calls the helper `withdraw_fee()`, which calls `self.withdraw(1)`, whose
first line takes `self.lock` again. The nesting hides one call deep, as it does in real
code: nothing on the line `self.withdraw_fee()` says "lock".

It needs no other thread at all. In the report races prints, below, MainThread holds
`self.lock`, acquired at `transfer`'s `with self.lock:`, and waits for it at `withdraw`'s:
the lock it already holds. This is a deadlock of one thread. No schedule avoids it, which
is why it is found in the first run. (A real program simply hangs.)

What races prints
-----------------
`races run lock_reentry` finds it and prints (CPython 3.11):

    Self-deadlock:
      MainThread
        holds self.lock (Lock) (acquired at broken.py:64  `with self.lock:`)
        waits in Lock.acquire for self.lock (Lock), at broken.py:60  `with self.lock:`
    Hint: a Lock is not re-entrant: the thread that holds it blocks forever when it acquires it again. Use threading.RLock, or have the inner code run without taking the lock.

The fixes
---------
`fixed_rlock.py` uses `threading.RLock`, which counts how often its owner acquired it
and is released when the count returns to zero: the nested `with` just increments it.
`fixed_unlocked_helpers.py` keeps the plain Lock and splits each public method into a
locking wrapper and an `_unlocked` helper that expects the lock to be held; public
methods lock once, and helpers never lock. Both are enough because no code path takes
the lock while holding it.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     2 of 2 counted runs (100%); stopped after 2 hang(s)
    1 us switching        2 of 2 counted runs (100%); stopped after 2 hang(s)
    noise 0.01            2 of 2 counted runs (100%); stopped after 2 hang(s)
    the scheduler         1 schedule(s)
"""

import threading


class Account:
    def __init__(self, balance: int) -> None:
        self.balance = balance
        self.lock = threading.Lock()

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
        self.withdraw(1)  # takes self.lock, which transfer() already holds


def scenario() -> None:
    a, b = Account(100), Account(0)
    a.transfer(b, 10)
    assert (a.balance, b.balance) == (89, 10)


def main() -> None:
    print("Transferring under a Lock that the helper takes again...")
    worker = threading.Thread(target=scenario, daemon=True)
    worker.start()
    worker.join(timeout=1)
    print("Hung: the thread waits for a lock it holds itself." if worker.is_alive() else "Done.")


if __name__ == "__main__":
    main()
