"""Fix: a gevent.lock.Semaphore held across the read, the I/O and the write."""

import time

import gevent
from gevent.lock import Semaphore

views = 0


def log_view() -> None:
    time.sleep(0.001)  # a network call; patched, it waits in gevent's hub


def count_view(lock: Semaphore) -> None:
    global views
    with lock:
        value = views
        log_view()
        views = value + 1


def scenario() -> None:
    global views
    views = 0
    lock = Semaphore()
    gevent.joinall([gevent.spawn(count_view, lock) for _ in range(3)])
    assert views == 3, f"lost update: {views} of 3 views counted"


if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()
    scenario()
    print(f"Views: {views}")
