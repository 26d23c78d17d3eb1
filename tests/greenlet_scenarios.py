"""gevent scenarios for tests/test_greenlets.py. They run in a child process that gevent
has monkey-patched, so importing this module must not import gevent's patches itself."""

from __future__ import annotations

import socket
import time

import gevent
import gevent.event

order: list[str] = []
views = 0


def _append_after_yield(name: str) -> None:
    gevent.sleep(0)
    order.append(name)


def wakeups_in_spawn_order() -> None:
    """Passes in gevent's FIFO order; fails only if the second greenlet is woken first."""
    order.clear()
    gevent.joinall([gevent.spawn(_append_after_yield, "a"), gevent.spawn(_append_after_yield, "b")])
    assert order == ["a", "b"], f"woken out of order: {order}"


def _append_after_sleep(name: str) -> None:
    time.sleep(0.5)  # patched: a timer on virtual time
    order.append(name)


def equal_deadlines() -> None:
    """Two timers due at the same instant: either may fire first."""
    order.clear()
    gevent.joinall([gevent.spawn(_append_after_sleep, "a"), gevent.spawn(_append_after_sleep, "b")])
    assert order == ["a", "b"], f"timers fired out of order: {order}"


def _count_view() -> None:
    global views
    value = views
    time.sleep(0.001)  # I/O stand-in; patched, it is a wait on virtual time
    views = value + 1


def lost_update() -> None:
    global views
    views = 0
    gevent.joinall([gevent.spawn(_count_view) for _ in range(2)])
    assert views == 2, f"lost update: {views} of 2"


def waits_for_an_event_nobody_sets() -> None:
    event = gevent.event.Event()
    worker = gevent.spawn(event.wait)
    worker.join()


def crashes_in_a_greenlet() -> None:
    def fail() -> None:
        raise ValueError("bad input")

    gevent.joinall([gevent.spawn(fail)])


def forgets_a_greenlet() -> None:
    gevent.spawn(_append_after_sleep, "late")
    gevent.sleep(0)


def yields_forever() -> None:
    def spin() -> None:
        while True:
            gevent.sleep(0)

    gevent.spawn(spin).join()


def never_yields() -> None:
    def busy() -> None:
        while True:
            pass

    gevent.spawn(busy).join()


def sleeps_an_hour() -> None:
    start = time.time()
    time.sleep(3600)  # virtual: costs nothing
    assert time.time() - start < 60, "a virtual sleep took real time"


def talks_over_a_socket() -> None:
    left, right = socket.socketpair()
    received: list[bytes] = []

    def reader() -> None:
        received.append(right.recv(5))

    def writer() -> None:
        time.sleep(0.1)  # virtual time: the reader is waiting in recv() by then, in every order
        left.sendall(b"hello")

    try:
        gevent.joinall([gevent.spawn(reader), gevent.spawn(writer)])
    finally:
        left.close()
        right.close()
    assert received == [b"hello"]


def patched_in_the_child() -> None:
    from gevent import monkey

    assert monkey.is_module_patched("time") and monkey.is_module_patched("socket")


def waits_for_a_message_nobody_sends() -> None:
    left, right = socket.socketpair()
    try:
        gevent.spawn(right.recv, 5).join()
    finally:
        left.close()
        right.close()


def handles_a_signal() -> None:
    import signal

    gevent.signal_handler(signal.SIGUSR1, print)


def times_out_then_idles() -> None:
    with gevent.Timeout(1, False):
        gevent.sleep(10)  # the timeout, on virtual time, ends this
        raise AssertionError("the timeout did not fire")
    gevent.idle()


def waits_for_a_real_thread() -> None:
    pool = gevent.get_hub().threadpool
    assert pool.apply(sum, ([1, 2],)) == 3


def data_arrives_while_others_run() -> None:
    left, right = socket.socketpair()
    received: list[bytes] = []

    def reader() -> None:
        received.append(right.recv(1))

    def busy() -> None:
        for _ in range(3):
            gevent.sleep(0)

    try:
        greenlets = [gevent.spawn(reader), gevent.spawn(busy)]
        gevent.sleep(0)  # the reader now waits in recv()
        left.sendall(b"x")
        gevent.joinall(greenlets)
    finally:
        left.close()
        right.close()
    assert received == [b"x"]


# Counters for partial-order reduction: N greenlets, K critical sections each under one
# gevent lock, each section switching inside (a gevent.sleep(0) between read and write).
total = 0
sections: list[str] = []


def _locked_increments(name: str, times: int, lock: object) -> None:
    global total
    for _ in range(times):
        with lock:  # type: ignore[attr-defined]
            value = total
            gevent.sleep(0)
            total = value + 1
            sections.append(name)


def _locked_counter(greenlets: int, times: int) -> str:
    import gevent.lock

    global total
    total = 0
    sections.clear()
    lock = gevent.lock.Semaphore()
    gevent.joinall(
        [gevent.spawn(_locked_increments, str(n), times, lock) for n in range(greenlets)]
    )
    assert total == greenlets * times
    return "".join(sections)


def locked_counter_3x1() -> None:
    _locked_counter(3, 1)


def locked_counter_3x1_never_backwards() -> None:
    """Fails in one order of the six: the one a sound search must still reach."""
    order = _locked_counter(3, 1)
    assert order != "210", "the greenlets entered in reverse order"


def unlocked_pair() -> None:
    """Two greenlets read, switch, write: the lost update dpor must find."""
    global total
    total = 0

    def bump() -> None:
        global total
        value = total
        gevent.sleep(0)
        total = value + 1

    gevent.joinall([gevent.spawn(bump), gevent.spawn(bump)])
    assert total == 2, f"lost update: total is {total}"


def lock_kept_by_a_greenlet_that_ended() -> None:
    """One greenlet takes the lock and leaves early without releasing it."""
    import gevent.lock

    lock = gevent.lock.Semaphore()

    def careless(fail: bool) -> None:
        lock.acquire()
        if fail:
            return  # the early way out forgets the lock
        lock.release()

    def careful() -> None:
        with lock:
            pass

    gevent.joinall([gevent.spawn(careless, True), gevent.spawn(careful)])


def locks_taken_in_opposite_orders() -> None:
    """Each greenlet holds one lock and waits for the other's."""
    import threading  # patched: gevent's locks

    first, second = threading.Lock(), threading.Lock()

    def forwards() -> None:
        with first:
            gevent.sleep(0)
            with second:
                pass

    def backwards() -> None:
        with second:
            gevent.sleep(0)
            with first:
                pass

    gevent.joinall([gevent.spawn(forwards), gevent.spawn(backwards)])


def lock_taken_twice() -> None:
    """A plain lock is not re-entrant: the second acquire waits for itself."""
    import gevent.lock

    lock = gevent.lock.Semaphore()
    with lock:
        with lock:
            pass


def pool_with_workers_that_quit() -> None:
    """Each worker takes one job and quits; the third job is never taken."""
    import gevent.queue

    tasks: gevent.queue.Queue[str] = gevent.queue.Queue()
    results: gevent.queue.Queue[str] = gevent.queue.Queue()

    def worker() -> None:
        job = tasks.get()
        results.put(job.upper())  # and quits: one job per worker

    jobs = ["a", "b", "c"]
    for job in jobs:
        tasks.put(job)
    pool = [gevent.spawn(worker) for _ in range(2)]
    done = [results.get() for _ in jobs]
    gevent.joinall(pool)
    assert sorted(done) == ["A", "B", "C"]
