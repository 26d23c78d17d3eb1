"""Two tasks withdraw 80 from 100: each checks the balance, awaits the bank, then withdraws.

What goes wrong
---------------
Coroutines never preempt each other, so code between two `await`s is atomic: this is
why "asyncio is single-threaded" feels race-free. But every `await` is a point where
any other ready task may run. Here the check and the withdrawal are separated by an
`await`, so both tasks can check before either withdraws: the same check-then-act as
`check_then_act_balance`, with `await` in the role of a thread switch.

The interleaving races prints, below, is asyncio's default, FIFO order: no luck needed.
Both tasks check `balance >= amount` (100 >= 80) and await `confirm()`; Task-1 withdraws
first, and Task-2 withdraws on its stale check: the balance is -60.

What races prints
-----------------
`races run async_check_then_act` finds it and prints (CPython 3.11):

    Check-then-act: Task-2 (withdraw) checked `balance` (broken.py:57), Task-1 (withdraw) wrote
    `balance` (broken.py:59), Task-2 (withdraw) wrote `balance` (broken.py:59): Task-2 (withdraw) acted
    on a check that Task-1 (withdraw)'s write had made stale

        3 Task-2 (withdraw) if balance >= amount:   (broken.py:57) [read balance]
        4 Task-1 (withdraw) balance -= amount   (broken.py:59) [read balance, write balance]
        5 Task-2 (withdraw) balance -= amount   (broken.py:59) [read balance, write balance]

The fix
-------
`fixed.py` holds an `asyncio.Lock` across the check, the await and the withdrawal, so
no other withdrawal can run in between. (A lock held across an await is fine in asyncio:
other tasks still run; only those that need the lock wait.)

Measured on a real interpreter
------------------------------
`races stress --all`, CPython 3.11.7: tasks switch only where they wait,
so real switch intervals and noise change nothing, and the real runtime takes
one order, the default one. What each search needed to show the bug:

    search                result
    default order         shown (assertion)
    random, seed 0        1 schedule(s)
    pct, seed 0           1 schedule(s)
    dpor                  1 schedule(s)
"""

import asyncio

balance = 100


async def confirm() -> None:
    await asyncio.sleep(0.01)  # the bank's confirmation


async def withdraw(amount: int) -> None:
    global balance
    if balance >= amount:
        await confirm()
        balance -= amount


async def scenario() -> None:
    global balance
    balance = 100
    await asyncio.gather(withdraw(80), withdraw(80))
    assert balance >= 0, f"overdrawn: balance is {balance}"


if __name__ == "__main__":
    try:
        asyncio.run(scenario())
        print(f"Balance: {balance}")
    except AssertionError as exc:
        print(exc)
