"""``races.detect`` on real threads: free-running OS threads, real locks and real time.

The threads run as the operating system runs them, so these tests assert only what holds
whatever interleaving a run took: what races predicts from the run's accesses and edges
is the same for every interleaving of a program (that is the point of prediction), and a
deadlock built with a barrier deadlocks every time. No test sleeps to synchronise. The
expected-flags table of the catalogue runs on real threads in ``tests/test_detect.py``.
"""

from __future__ import annotations

import _thread
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable

import pytest

import races
from races.core.runtime import EXPLORING
from races.runtimes.threads import execution
from races.runtimes.threads.models.io import SELECTORS
from races.vocabulary.kinds import FailureKind

MECHANISMS = ["settrace"] + (["monitoring"] if hasattr(sys, "monitoring") else [])

# ---------------------------------------------------------------------------- made at import
# A queue and a lock a module makes when it is imported: real primitives, which the run
# swaps for recording ones, or their edges would be missed and every handoff reported.

JOBS: queue.Queue[int | None] = queue.Queue()
TOTAL_LOCK = threading.Lock()
box = {"job": 0, "total": 0}


def _producer() -> None:
    for n in range(1, 4):
        box["job"] = n  # written before the put: the consumer reads it after the get
        JOBS.put(n)
    JOBS.put(None)


def _consumer() -> None:
    while JOBS.get() is not None:
        with TOTAL_LOCK:
            box["total"] += box["job"]


def producer_consumer_through_a_module_queue() -> None:
    box.update(job=0, total=0)
    threads = [threading.Thread(target=_producer), threading.Thread(target=_consumer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with TOTAL_LOCK:
        box["total"] += 0  # the scenario's own locked update, after the joins


def test_a_queue_made_at_import_orders_the_producer_before_the_consumer() -> None:
    result = races.detect(producer_consumer_through_a_module_queue)
    assert not result.failed, result.render()
    assert result.findings == []


def test_the_module_queue_and_lock_are_put_back_after_the_run() -> None:
    mutex, not_empty = JOBS.mutex, JOBS.not_empty
    lock = TOTAL_LOCK
    races.detect(producer_consumer_through_a_module_queue)
    assert JOBS.mutex is mutex and JOBS.not_empty is not_empty
    assert globals()["TOTAL_LOCK"] is lock and type(lock) is _thread.LockType


# ---------------------------------------------------------------------------- lost update

counter = 0


def _add() -> None:
    global counter
    for _ in range(50):
        counter += 1


def lost_update_on_a_global() -> None:
    global counter
    counter = 0
    threads = [threading.Thread(target=_add, name=name) for name in ("adder-1", "adder-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.parametrize("tracing", MECHANISMS)
def test_a_lost_update_on_a_global_is_flagged_with_both_threads_named(tracing: str) -> None:
    result = races.detect(lost_update_on_a_global, tracing=tracing)  # type: ignore[arg-type]
    assert result.kind is FailureKind.RACE, result.render()
    assert result.failure is not None and result.failure.pattern == "lost update"
    headline = result.findings[0].headline
    assert "`counter`" in headline
    assert "adder-1" in headline and "adder-2" in headline


def test_the_same_update_under_a_lock_is_not_flagged() -> None:
    lock = threading.Lock()
    total = {"n": 0}

    def add() -> None:
        for _ in range(50):
            with lock:
                total["n"] += 1

    def scenario() -> None:
        threads = [threading.Thread(target=add) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert total["n"] == 100

    result = races.detect(scenario)
    assert not result.failed, result.render()


def test_a_lock_order_inversion_is_predicted_from_a_run_that_cannot_deadlock() -> None:
    a, b = threading.Lock(), threading.Lock()

    def take(first: threading.Lock, second: threading.Lock) -> None:
        with first:
            with second:
                pass

    def scenario() -> None:
        for first, second in ((a, b), (b, a)):  # one thread after the other
            t = threading.Thread(target=take, args=(first, second))
            t.start()
            t.join()

    result = races.detect(scenario)
    assert result.kind is FailureKind.LOCK_ORDER, result.render()


# ---------------------------------------------------------------------------- real I/O


def test_a_socket_echo_server_thread_and_its_client_run_and_are_analysed() -> None:
    """A server thread and a client talk over loopback: real blocking I/O, which a run
    under the scheduler cannot wait out. The run passes, and its accesses are analysed:
    the server's record of what it served is read after the join, so nothing is flagged."""
    served: list[bytes] = []

    def serve(listener: socket.socket) -> None:
        connection, _ = listener.accept()
        with connection:
            data = connection.recv(1024)
            served.append(data)
            connection.sendall(data.upper())

    def scenario() -> None:
        served.clear()
        with socket.create_server(("127.0.0.1", 0)) as listener:
            server = threading.Thread(target=serve, args=(listener,), name="echo-server")
            server.start()
            with socket.create_connection(listener.getsockname(), timeout=10) as client:
                client.sendall(b"ping")
                reply = client.recv(1024)
            server.join()
        assert reply == b"PING"
        assert served == [b"ping"]

    result = races.detect(scenario)
    assert not result.failed, result.render()
    assert result.trace is not None
    assert result.trace.thread_names[1] == "echo-server"
    assert any(step.thread == 1 for step in result.trace)  # the server's steps were seen


def test_real_sleeps_and_timeouts_take_real_time() -> None:
    done = threading.Event()

    def scenario() -> None:
        worker = threading.Thread(target=done.set)
        start = time.monotonic()
        assert not done.wait(timeout=0.05)  # nobody set it yet: the timeout passes
        assert time.monotonic() - start >= 0.05
        worker.start()
        worker.join()
        assert done.wait(timeout=5)

    result = races.detect(scenario)
    assert not result.failed, result.render()


# ---------------------------------------------------------------------------- deadlocks


def two_threads_two_locks(threads: list[threading.Thread]) -> Callable[[], None]:
    """Each thread takes one lock, both meet at a barrier, then each takes the other's:
    a deadlock in every run."""

    def scenario() -> None:
        a, b = threading.Lock(), threading.Lock()
        both = threading.Barrier(2)

        def take(first: threading.Lock, second: threading.Lock) -> None:
            with first:
                both.wait()
                with second:
                    pass

        threads[:] = [
            threading.Thread(target=take, args=(a, b), name="left"),
            threading.Thread(target=take, args=(b, a), name="right"),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    return scenario


def test_a_real_deadlock_is_reported_with_its_cycle_and_nothing_is_left_hanging() -> None:
    threads: list[threading.Thread] = []
    result = races.detect(two_threads_two_locks(threads))
    assert result.kind is FailureKind.DEADLOCK, result.render()
    assert result.failure is not None
    assert {name for name, _ in result.failure.cycle} == {"left", "right"}
    assert all("Lock" in waits for _, waits in result.failure.cycle)
    assert "Deadlock: these threads wait for each other in a cycle" in result.render()
    assert threads and not any(t.is_alive() for t in threads)


def test_a_lock_taken_again_by_its_holder_is_a_self_deadlock() -> None:
    def scenario() -> None:
        lock = threading.Lock()
        with lock:
            with lock:
                pass

    result = races.detect(scenario)
    assert result.kind is FailureKind.DEADLOCK
    assert result.failure is not None and result.failure.pattern == "self-deadlock"


def test_a_thread_waiting_for_good_is_reported_stuck() -> None:
    jobs: queue.Queue[int] = queue.Queue()

    def take() -> None:
        jobs.get()  # nobody ever puts

    def scenario() -> None:
        worker = threading.Thread(target=take)
        worker.start()
        worker.join()

    result = races.detect(scenario)
    assert result.kind is FailureKind.STUCK, result.render()
    report = result.render()
    assert "waits in Queue.get" in report and "waits in Thread.join for" in report


def test_a_deadlock_through_a_lock_races_cannot_record_ends_at_the_watchdog() -> None:
    """The worker blocks in a real lock held before the run (so not recorded): nothing
    races sees holds it, and the watchdog's timeout names where it is."""
    held = threading.Lock()
    held.acquire()  # held by this thread, before the run: left real

    def wait_for_held() -> None:
        with held:
            pass

    worker = threading.Thread()

    def scenario() -> None:
        nonlocal worker
        worker = threading.Thread(target=wait_for_held, name="blocked-worker")
        worker.start()
        worker.join()

    try:
        result = races.detect(scenario, watchdog=0.5)
    finally:
        held.release()
        worker.join()
    assert result.kind is FailureKind.STUCK, result.render()
    report = result.render()
    assert "no thread moved for 0.5 s" in report
    assert "blocked-worker is in " in report and ".wait_for_held (" in report
    assert "races could not stop blocked-worker" in report
    assert "not recorded: `held`" in result.summary


# ---------------------------------------------------------------------------- who is observed


def test_a_thread_started_before_detect_is_not_observed_and_keeps_real_locks() -> None:
    go, done = threading.Event(), threading.Event()
    shared = {"n": 0}
    made: list[object] = []

    def background() -> None:
        go.wait()
        lock = threading.Lock()  # made during the run, by a thread the run did not start
        made.append(lock)
        with lock:
            shared["n"] += 1  # unordered with the scenario's, but not observed
        done.set()

    outsider = threading.Thread(target=background, name="outsider")
    outsider.start()

    def scenario() -> None:
        go.set()
        done.wait()
        shared["n"] += 1

    try:
        result = races.detect(scenario)
    finally:
        go.set()
        outsider.join()
    assert not result.failed, result.render()
    assert result.trace is not None and result.trace.thread_names == [
        threading.current_thread().name
    ]
    assert type(made[0]) is _thread.LockType
    assert shared["n"] == 2


def test_a_daemon_left_waiting_when_the_scenario_returns_is_dropped() -> None:
    """The program is over when the scenario returns: the interpreter would drop a daemon
    thread that still waits, and so does the run (it unwinds), whenever it got there."""
    jobs: queue.Queue[int] = queue.Queue()
    daemons: list[threading.Thread] = []

    def scenario() -> None:
        daemon = threading.Thread(target=jobs.get, daemon=True)  # nobody ever puts
        daemons.append(daemon)
        daemon.start()

    result = races.detect(scenario)
    assert not result.failed, result.render()
    assert not daemons[0].is_alive()


def test_a_fake_sleep_the_test_installed_stays_in_charge(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)

    def scenario() -> None:
        worker = threading.Thread(target=time.sleep, args=(3600,))
        worker.start()
        worker.join()

    result = races.detect(scenario)
    assert not result.failed, result.render()
    assert slept == [3600]


def test_a_scenario_that_raises_fails_with_its_own_exception() -> None:
    def scenario() -> None:
        worker = threading.Thread(target=lambda: None)
        worker.start()
        worker.join()
        raise KeyError("missing")

    result = races.detect(scenario)
    assert result.kind is FailureKind.EXCEPTION
    assert result.failure is not None and isinstance(result.failure.exception, KeyError)


def test_the_scheduled_run_is_still_there() -> None:
    result = races.detect(lost_update_on_a_global, threads="scheduled")
    assert result.kind is FailureKind.RACE
    with pytest.raises(races.InvalidArgument, match="threads must be 'real' or 'scheduled'"):
        races.detect(lost_update_on_a_global, threads="free")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- nothing leaks

_PATCHED = [
    (threading, "Lock"),
    (threading, "_allocate_lock"),
    (threading, "_CRLock"),
    (threading, "excepthook"),
    (_thread, "allocate_lock"),
    (queue, "SimpleQueue"),
    (time, "sleep"),
    (threading.Thread, "start"),
    (threading.Thread, "_bootstrap_inner"),
    (threading.Thread, "join"),
    (threading.Thread, "is_alive"),
    (threading.Semaphore, "acquire"),
    (threading.Timer, "run"),
    *[(selector, "select") for selector in SELECTORS],
]


def _failing(_: list[threading.Thread]) -> Callable[[], None]:
    def scenario() -> None:
        raise ValueError("the scenario's own")

    return scenario


@pytest.mark.parametrize(
    "make", [lambda _: producer_consumer_through_a_module_queue, two_threads_two_locks, _failing]
)
def test_after_detect_every_patch_and_hook_is_gone(
    make: Callable[[list[threading.Thread]], Callable[[], None]],
) -> None:
    before = {(owner, name): vars(owner).get(name) for owner, name in _PATCHED}
    trace = sys.gettrace()
    races.detect(make([]))
    after = {(owner, name): vars(owner).get(name) for owner, name in _PATCHED}
    assert after == before
    assert sys.gettrace() is trace
    if hasattr(sys, "monitoring"):
        assert all(sys.monitoring.get_tool(tool) != "races" for tool in range(6))
    assert execution.active is None and not EXPLORING.open
    assert type(threading.Lock()) is _thread.LockType
