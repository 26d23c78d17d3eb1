"""Two clerks withdraw 80 from a balance of 100; each checks first, and both pass the check.

What goes wrong
---------------
`if balance >= amount: balance -= amount` is two steps. The check is only true at the
moment it runs; by the time the thread acts on it, another thread may have changed the
balance. Locking each step separately would not help: the check and the act must happen
as one step.

The losing interleaving:

    Thread-1  if balance >= 80        100 >= 80: yes
              -- preempted --
    Thread-2  if balance >= 80        100 >= 80: yes
    Thread-2  balance -= 80           balance is 20
    Thread-1  balance -= 80           balance is -60: overdrawn

The fix
-------
`fixed.py` holds one Lock across the check and the act, so no withdrawal can change the
balance between another's check and its withdrawal.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     - (0 of 20)
    1 us switching        - (0 of 20)
    noise 0.01            - (0 of 20)
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
