"""Fix: double-checked locking. Check, take the lock, check again, then build."""

import threading


class Pool:
    created = 0

    def __init__(self) -> None:
        Pool.created += 1


_pool: Pool | None = None
_pool_lock = threading.Lock()


def get_pool() -> Pool:
    global _pool
    if _pool is None:
        with _pool_lock:
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
