"""Two transfers between the same two accounts, each locking its source first: a deadlock.

What goes wrong
---------------
`transfer(a, b)` locks `a` then `b`; `transfer(b, a)`, running at the same time, locks
`b` then `a`. If each takes its first lock before the other takes its second, each holds
what the other needs, and neither will ever let go.

In the run races prints, below, Thread-1 runs `transfer(a, b)` and Thread-2
`transfer(b, a)`: each holds its source's lock, taken at `with source.lock:`, and waits
at `with target.lock:` for the lock the other holds. Nobody can run: a cycle in the
wait-for graph, which races reports as such. On real threads the program just hangs, and
only sometimes.

What races prints
-----------------
`races run lock_order_deadlock` finds it and prints (CPython 3.11):

    Deadlock: these threads wait for each other in a cycle:
      Thread-1 (transfer)
        holds a.lock (Lock) (acquired at broken.py:56  `with source.lock:`)
        waits in Lock.acquire for b.lock (Lock) (held by Thread-2 (transfer)), at broken.py:57  `with target.lock:`
      Thread-2 (transfer)
        holds b.lock (Lock) (acquired at broken.py:56  `with source.lock:`)
        waits in Lock.acquire for a.lock (Lock) (held by Thread-1 (transfer)), at broken.py:57  `with target.lock:`

The fix
-------
`fixed.py` imposes one global order on the locks: every transfer locks the account with
the smaller id first, whatever the direction of the money. A cycle would need some thread
to hold a later lock while waiting for an earlier one, which the order rules out.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        no run counted (20 made, none with overlapping threads)
    noise 0.01            1 of 9 counted runs (11%)
    the scheduler         7 schedule(s)
"""

import threading


class Account:
    def __init__(self, ident: int, balance: int) -> None:
        self.ident = ident
        self.balance = balance
        self.lock = threading.Lock()


def transfer(source: Account, target: Account, amount: int) -> None:
    with source.lock:
        with target.lock:
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
    for attempt in range(1000):
        t = threading.Thread(target=scenario, daemon=True)
        t.start()
        t.join(timeout=1)
        if t.is_alive():
            print(f"Deadlocked on attempt {attempt + 1}.")
            return
    print("No deadlock in 1000 attempts; `races run lock_order_deadlock` finds the one that does.")


if __name__ == "__main__":
    main()
