"""`get_pool()` creates the shared pool on first use; two threads both create it.

What goes wrong
---------------
`if _pool is None: _pool = Pool()` is a check-then-act. Both threads can find `_pool`
empty before either assigns it. Each builds its own pool; the second assignment wins,
and the first thread keeps using a pool nobody else sees (here: two "connections" are
opened where one was meant to be).

In the interleaving races prints, below, Thread-1 finds `_pool` empty and is preempted;
Thread-2 finds it empty too, builds a pool, assigns it and returns it; Thread-1 then
builds a second pool and assigns it over Thread-2's. Two pools were created, and
Thread-2 keeps the one nobody else sees.

What races prints
-----------------
`races run lazy_init_race` finds it and prints (CPython 3.11):

    Check-then-act: Thread-1 (get_pool) checked `_pool` (broken.py:66), Thread-2 (get_pool) wrote
    `_pool` (broken.py:67), Thread-1 (get_pool) wrote `_pool` (broken.py:67): Thread-1 (get_pool) acted
    on a check that Thread-2 (get_pool)'s write had made stale

        9 Thread-1 (get_pool) if _pool is None:   (broken.py:66) [read _pool]
          -- Thread-1 (get_pool) is preempted here; MainThread runs
          ... 3 steps of MainThread
       14 Thread-2 (get_pool) if _pool is None:   (broken.py:66) [read _pool]
          ... 1 step of Thread-2 (get_pool)
       16 Thread-2 (get_pool) _pool = Pool()   (broken.py:67) [write _pool]
       17 Thread-2 (get_pool) return _pool   (broken.py:68) [read _pool]
          ... 6 steps
       23 Thread-1 (get_pool) _pool = Pool()   (broken.py:67) [write _pool]

The fix
-------
`fixed.py` takes a lock and checks again inside it (double-checked locking). The first
check keeps the common path lock-free; the second, under the lock, is the one that
decides, so only one thread can build the pool.

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     no run counted (20 made, none with overlapping threads)
    1 us switching        no run counted (20 made, none with overlapping threads)
    noise 0.01            0 of 2 counted runs (0%)
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
