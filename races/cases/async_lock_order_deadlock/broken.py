"""Two transfers lock two accounts in opposite orders, with an await in between.

What goes wrong
---------------
The same cycle as `lock_order_deadlock`, with tasks instead of threads: a task that
holds a lock across an `await` lets the other task take the second lock, and then each
waits for the other's. asyncio has no deadlock detection; the program just stops making
progress.

In the run races prints, below (asyncio's default order), the two transfers, Task-1 and
Task-2, each take their source's lock and await `audit()`, and then each waits at
`async with target.lock:` for the lock the other holds.

What races prints
-----------------
`races run async_lock_order_deadlock` finds it and prints (CPython 3.11):

    Deadlock: these tasks wait for each other in a cycle:
      Task-1 (transfer) waits in Lock.acquire (held by Task-2 (transfer)), at broken.py:56  `async with target.lock:`
      Task-2 (transfer) waits in Lock.acquire (held by Task-1 (transfer)), at broken.py:56  `async with target.lock:`

The fix
-------
`fixed.py` takes the locks in one global order (by account id), whatever the direction.

Measured on a real interpreter
------------------------------
`races stress --all`, CPython 3.11.7: tasks switch only where they wait,
so real switch intervals and noise change nothing, and the real runtime takes
one order, the default one. What each search needed to show the bug:

    search                result
    default order         shown (deadlock)
    random, seed 0        2 schedule(s)
    pct, seed 0           70 schedule(s)
    dpor                  1 schedule(s)
"""

import asyncio


class Account:
    def __init__(self, ident: int, balance: int) -> None:
        self.ident = ident
        self.balance = balance
        self.lock = asyncio.Lock()


async def audit() -> None:
    await asyncio.sleep(0)


async def transfer(source: Account, target: Account, amount: int) -> None:
    async with source.lock:
        await audit()
        async with target.lock:
            source.balance -= amount
            target.balance += amount


async def scenario() -> None:
    a, b = Account(1, 100), Account(2, 100)
    await asyncio.gather(transfer(a, b, 10), transfer(b, a, 20))
    assert a.balance + b.balance == 200


if __name__ == "__main__":

    async def main() -> None:
        try:
            await asyncio.wait_for(scenario(), timeout=1)
            print("Both transfers done.")
        except TimeoutError:
            print("Deadlocked: each transfer waits for the other's lock.")

    asyncio.run(main())
