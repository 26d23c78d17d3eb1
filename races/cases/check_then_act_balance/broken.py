"""Two clerks withdraw 80 from a balance of 100; each checks first, and both pass the check.

What goes wrong
---------------
`if balance >= amount: balance -= amount` is two steps. The check is only true at the
moment it runs; by the time the thread acts on it, another thread may have changed the
balance. Locking each step separately would not help: the check and the act must happen
as one step.

In the interleaving races prints, below, Thread-1 checks `balance >= amount` (100 >= 80)
and is preempted; Thread-2 makes the same check and withdraws, leaving 20; Thread-1 then
withdraws on its stale check, and the balance is -60: overdrawn.

What races prints
-----------------
`races run check_then_act_balance` finds it and prints (CPython 3.11):

    Check-then-act: Thread-1 (withdraw) checked `balance` (broken.py:54), Thread-2 (withdraw) wrote
    `balance` (broken.py:55), Thread-1 (withdraw) wrote `balance` (broken.py:55): Thread-1 (withdraw)
    acted on a check that Thread-2 (withdraw)'s write had made stale

        9 Thread-1 (withdraw) if balance >= amount:   (broken.py:54) [read balance]
          -- Thread-1 (withdraw) is preempted here; MainThread runs
          ... 3 steps of MainThread
       14 Thread-2 (withdraw) if balance >= amount:   (broken.py:54) [read balance]
       15 Thread-2 (withdraw) balance -= amount   (broken.py:55) [read balance, write balance]
          ... 5 steps
       10 Thread-1 (withdraw) balance -= amount   (broken.py:55) [read balance, write balance]

The fix
-------
`fixed.py` holds one Lock across the check and the act, so no withdrawal can change the
balance between another's check and its withdrawal.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        0 of 1 counted runs (0%)
    noise 0.01            no run counted (20 made, none with overlapping threads)
    the scheduler         13 schedule(s)
"""

import threading

balance = 100


def withdraw(amount: int) -> None:
    global balance
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
    overdrawn = 0
    for _ in range(2000):
        try:
            scenario()
        except AssertionError:
            overdrawn += 1
    print(f"Overdrawn in {overdrawn} of 2000 runs on real threads.")


if __name__ == "__main__":
    main()
