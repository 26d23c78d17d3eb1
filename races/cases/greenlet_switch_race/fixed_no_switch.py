"""Fix: no switch inside the read-modify-write. Between two waits, a greenlet runs alone."""

import time

import gevent

views = 0


def log_view() -> None:
    time.sleep(0.001)  # a network call; patched, it waits in gevent's hub


def count_view() -> None:
    global views
    log_view()
    views += 1


def scenario() -> None:
    global views
    views = 0
    gevent.joinall([gevent.spawn(count_view) for _ in range(3)])
    assert views == 3, f"lost update: {views} of 3 views counted"


if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()
    scenario()
    print(f"Views: {views}")
