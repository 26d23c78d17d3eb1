"""`get_pool()` creates the shared pool on first use; two threads both create it.

What goes wrong
---------------
`if _pool is None: _pool = Pool()` is a check-then-act. Both threads can find `_pool`
empty before either assigns it. Each builds its own pool; the second assignment wins,
and the first thread keeps using a pool nobody else sees (here: two "connections" are
opened where one was meant to be).

The losing interleaving:

    Thread-1  if _pool is None      yes
              -- preempted --
    Thread-2  if _pool is None      yes
    Thread-2  _pool = Pool()        pool #1
    Thread-1  _pool = Pool()        pool #2: two pools, one lost

The fix
-------
`fixed.py` takes a lock and checks again inside it (double-checked locking). The first
check keeps the common path lock-free; the second, under the lock, is the one that
decides, so only one thread can build the pool.

Measured on a real interpreter
------------------------------
`races stress`, 20 runs per setting, CPython 3.11.7, 2 cores;
runs whose threads never overlapped are not counted:

    setting               forbidden outcome in
    default switching     - (0 of 20)
    1 us switching        - (0 of 20)
    noise 0.01            0% of 2
    the scheduler         3 schedule(s)
"""

import threading


class Pool:
    created = 0

    def __init__(self) -> None:
        Pool.created += 1


_pool: Pool | None = None


def get_pool() -> Pool:
    global _pool
    if _pool is None:
        _pool = Pool()
    return _pool


def scenario() -> None:
    global _pool
    _pool, Pool.created = None, 0
    users = [threading.Thread(target=get_pool) for _ in range(2)]
    for user in users:
        user.start()
    for user in users:
        user.join()
    assert Pool.created == 1, f"{Pool.created} pools created"


if __name__ == "__main__":
    scenario()
    print(f"Pools created: {Pool.created}")
