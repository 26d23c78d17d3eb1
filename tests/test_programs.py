"""Programs as users write them: asyncio.run with worker threads, scripts, `_thread`.

Each scenario here once failed for a reason of races' own (a false alarm after a 10 s
watchdog, a ValueError, a timeout that fired at once); each is a correct program that must
pass, beside a broken twin that must fail.
"""

from __future__ import annotations

import _thread
import asyncio
import functools
import logging
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Lock as CapturedLock  # taken while the plugin's birth records were on
from typing import Any

import pytest

import races
from races import FailureKind
from tests import imported_locks, untraced_library

# ----------------------------------------------------------------- asyncio and threads

balance = 0


async def _withdraw_via_thread(locked: asyncio.Lock | None) -> None:
    global balance
    if locked is not None:
        await locked.acquire()
    try:
        seen = balance
        await asyncio.to_thread(time.sleep, 0.01)  # a blocking call, moved off the loop
        balance = seen - 10
    finally:
        if locked is not None:
            locked.release()


async def _two_withdrawals(lock: bool) -> None:
    global balance
    balance = 100
    guard = asyncio.Lock() if lock else None
    await asyncio.gather(_withdraw_via_thread(guard), _withdraw_via_thread(guard))
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, sum, [1, 2, 3]) == 6
    assert balance == 80, f"lost update: balance is {balance}"


def asyncio_run_with_threads() -> None:
    asyncio.run(_two_withdrawals(lock=True))


def asyncio_run_with_threads_unlocked() -> None:
    asyncio.run(_two_withdrawals(lock=False))


async def coroutine_with_threads() -> None:
    await _two_withdrawals(lock=True)


async def coroutine_with_threads_unlocked() -> None:
    await _two_withdrawals(lock=False)


def test_asyncio_run_with_to_thread_in_a_plain_scenario_is_no_false_alarm() -> None:
    result = races.explore(asyncio_run_with_threads, strategy="random", budget=30, watchdog=2)
    assert not result.failed, result.render()


def test_asyncio_run_with_to_thread_still_shows_a_lost_update() -> None:
    result = races.explore(asyncio_run_with_threads_unlocked, budget=30, watchdog=2)
    assert result.kind is FailureKind.ASSERTION
    assert "lost update" in result.failure.message


def test_a_coroutine_scenario_waits_for_its_worker_threads() -> None:
    result = races.explore(coroutine_with_threads, strategy="dfs", watchdog=2)
    assert not result.failed, result.render()


def test_a_coroutine_scenario_with_worker_threads_still_shows_a_lost_update() -> None:
    result = races.explore(coroutine_with_threads_unlocked, strategy="dfs", watchdog=2)
    assert result.kind is FailureKind.ASSERTION


@pytest.fixture
def echo_server() -> tuple[str, int]:
    """A server outside races' control, on loopback: it answers in real time."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(conn.recv(100).upper())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()
    stop.set()
    thread.join()
    server.close()


_address: tuple[str, int] = ("", 0)


async def _ask(word: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(*_address)
    writer.write(word)
    answer = await asyncio.wait_for(reader.read(100), timeout=5)
    writer.close()
    await writer.wait_closed()
    return answer


def asks_a_real_server() -> None:
    assert asyncio.run(_ask(b"ping")) == b"PING"


def test_a_loop_in_a_scenario_waits_for_a_real_socket_before_its_timeout_fires(
    echo_server: tuple[str, int],
) -> None:
    global _address
    _address = echo_server
    result = races.explore(asks_a_real_server, strategy="random", budget=5, watchdog=5)
    assert not result.failed, result.render()


# ----------------------------------------------------------------- scripts


SCRIPT = """
    import threading
    import races

    balance = 100


    def withdraw(amount):
        global balance
        if balance >= amount:
            balance -= amount


    def scenario():
        global balance
        balance = 100
        clerks = [threading.Thread(target=withdraw, args=(80,)) for _ in range(2)]
        for clerk in clerks:
            clerk.start()
        for clerk in clerks:
            clerk.join()
        assert balance >= 0, f"overdrawn: balance is {balance}"


    if __name__ == "__main__":
        for include in ((), ("__main__",)):
            result = races.explore(scenario, granularity="line", include=include)
            assert races.replay(scenario, result.schedule, include=include).failed
            print(result.kind, result.replay_line)
"""


def test_a_scenario_in_a_script_run_as_main_is_explored(tmp_path: Path) -> None:
    script = tmp_path / "bank.py"
    script.write_text(textwrap.dedent(SCRIPT))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert all(
        line.startswith("assertion races.replay(__main__.scenario, 'line@") for line in lines
    )


# ----------------------------------------------------------------- the _thread module


def _bunch(locked: bool) -> None:
    """Start three `_thread` threads and wait for them as CPython's lock tests do."""
    started: list[int] = []
    finished: list[int] = []
    lock = _thread.allocate_lock()
    total = [0]

    def task() -> None:
        started.append(_thread.get_ident())
        if locked:
            lock.acquire()
        value = total[0]
        total[0] = value + 1
        if locked:
            lock.release()
        finished.append(_thread.get_ident())

    before = _thread._count()
    for _ in range(3):
        _thread.start_new_thread(task, ())
    deadline = time.monotonic() + 30
    while len(finished) < 3:  # support.sleeping_retry, in short
        time.sleep(0.01)
        assert time.monotonic() < deadline, "the threads never finished"
    while _thread._count() > before:  # threading_helper.wait_threads_exit
        time.sleep(0.01)
        assert time.monotonic() < deadline, "the threads never exited"
    assert len(set(started)) == 3
    assert isinstance(lock, _thread.LockType)
    assert total[0] == 3, f"lost update: total is {total[0]}"


def test_threads_started_with_the_thread_module_are_controlled() -> None:
    result = races.explore(functools.partial(_bunch, locked=True), strategy="dfs", budget=500)
    assert not result.failed, result.render()


def test_a_race_between_thread_module_threads_is_found() -> None:
    result = races.explore(functools.partial(_bunch, locked=False), budget=200)
    assert result.kind is FailureKind.ASSERTION
    assert "_thread" in result.render()  # its threads are named after the module


def test_an_exception_in_a_thread_module_thread_fails_the_run() -> None:
    def scenario() -> None:
        done = threading.Event()

        def task() -> None:
            done.set()
            raise ValueError("broken task")

        _thread.start_new_thread(task, ())
        done.wait()

    result = races.explore(scenario, budget=20)
    assert result.kind is FailureKind.THREAD_EXCEPTION
    assert "ValueError: broken task" in result.failure.message


_unseen_start = functools.partial(_thread.start_new_thread)  # as a C extension starts one


def test_virtual_time_does_not_jump_past_a_thread_races_does_not_control() -> None:
    finished = _thread.allocate_lock()  # real: made before exploring
    finished.acquire()

    def unseen(started: list[int]) -> None:
        started.append(1)
        time.sleep(0.2)
        finished.release()

    def scenario() -> None:
        started: list[int] = []
        _unseen_start(unseen, (started,))
        while not started:
            pass  # until it runs: a thread with no Python frame yet cannot be named
        threading.Event().wait(timeout=1)

    with pytest.raises(races.UncontrolledThreadError, match="not controlled by races") as info:
        races.explore(scenario, budget=3)
    assert "unseen (" in str(info.value) and "test_programs.py" in str(info.value)
    assert finished.acquire(timeout=10)  # a real thread: it ends before the leak check


# ------------------------------------------------------- locks a library made at import

LIBRARY_SCENARIOS = [
    imported_locks.cache_scenario,
    imported_locks.registry_scenario,
    imported_locks.stripes_scenario,
    imported_locks.shards_scenario,
]


@pytest.mark.parametrize("scenario", LIBRARY_SCENARIOS, ids=lambda s: s.__name__)
@pytest.mark.parametrize("strategy", ["random", "dfs", "dpor"])
def test_a_lock_made_at_import_is_controlled_whatever_the_strategy(
    scenario: Any, strategy: str
) -> None:
    locks = (imported_locks.Cache._lock, imported_locks.REGISTRY.lock)
    before = (*locks, *imported_locks.STRIPES, *imported_locks.SHARDS)
    result = races.explore(scenario, strategy=strategy, budget=300)
    assert not result.failed, result.render()
    # Swapped for modelled locks during the exploration only: the real ones are back.
    locks = (imported_locks.Cache._lock, imported_locks.REGISTRY.lock)
    after = (*locks, *imported_locks.STRIPES, *imported_locks.SHARDS)
    assert all(a is b for a, b in zip(before, after, strict=True))
    assert type(imported_locks.REGISTRY.lock) is _thread.LockType


@pytest.mark.parametrize("scenario", LIBRARY_SCENARIOS, ids=lambda s: s.__name__)
def test_a_lock_made_at_import_is_proved_with_as_few_schedules_as_one_made_inside(
    scenario: Any,
) -> None:
    result = races.explore(scenario, strategy="dpor")
    assert result.summary.startswith("proved"), result.summary
    # Two critical sections on one lock: two orders (the stripes: three threads, two of
    # them on one stripe). A lock made at import is born with each run, so runs name it alike.
    assert result.schedules == 2


@pytest.mark.parametrize("strategy", ["random", "dpor"])
def test_a_cached_property_made_at_import_is_controlled(strategy: str) -> None:
    """3.11's cached_property takes a lock of its own, made with the class: the first
    reads of two threads may meet inside it, and must be scheduled, not left waiting."""
    result = races.explore(
        imported_locks.settings_scenario, strategy=strategy, budget=300, watchdog=3600
    )
    assert not result.failed, result.render()
    if strategy == "dpor":
        assert result.summary.startswith("proved"), result.summary


def test_a_race_beside_a_lock_made_at_import_is_still_found() -> None:
    result = races.explore(imported_locks.unlocked_registry_scenario, strategy="dpor")
    assert result.failed and result.kind is FailureKind.ASSERTION


def test_a_lock_made_at_import_and_held_outside_stops_the_run_at_once_naming_it() -> None:
    imported_locks.REGISTRY.lock.acquire()  # held by this thread, which races does not control
    try:
        with pytest.raises(races.UncontrolledBlockingError) as info:
            # A watchdog this long would fail the test's timeout: the stop is immediate.
            races.explore(imported_locks.registry_scenario, strategy="dfs", watchdog=3600)
    finally:
        imported_locks.REGISTRY.lock.release()
    message = str(info.value)
    assert "`REGISTRY.lock`" in message and "imported_locks.py:" in message
    assert "already held" in message and "create it inside the scenario" in message


def _two_threads_through(call_locked: Any, in_order: bool = False) -> None:
    """Two threads add one each through the library, which holds its lock around the
    callback; ``in_order`` also asserts that the first thread started went first, which
    holds only in some interleavings."""
    total: list[int] = [0]
    order: list[int] = []

    def add(n: int) -> None:
        seen = total[0]
        total[0] = seen + 1
        order.append(n)

    workers = [
        threading.Thread(target=call_locked, args=(functools.partial(add, n),)) for n in (0, 1)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert total == [2]
    if in_order:
        assert order == [0, 1], order


_EXCLUDED = ["tests.untraced_library"]

#: Each way the library keeps a lock it made at import, as its callers reach it.
_KEPT = {
    "module": lambda: untraced_library.call_locked,
    "class": lambda: untraced_library.REGISTRY.call_locked,
    "object": lambda: untraced_library.DEFAULT_CLIENT.call_locked,
    "closure": lambda: untraced_library.call_synchronized,
}


@pytest.mark.parametrize("kept", list(_KEPT))
def test_a_lock_an_excluded_library_made_at_import_is_controlled_inside_the_exploration(
    kept: str,
) -> None:
    """The library's code is not traced, so no read of traced code reaches its lock: the
    session swaps it at its start. It is proved in as many schedules as a lock made inside
    the scenario (two orders of two critical sections), with no wait for the watchdog."""
    call_locked = _KEPT[kept]()
    before = untraced_library._lock, untraced_library.Registry._lock

    def scenario() -> None:
        _two_threads_through(call_locked)

    proved = races.explore(scenario, strategy="dpor", watchdog=3600, exclude=_EXCLUDED)
    assert proved.summary.startswith("proved") and proved.schedules == 2, proved.summary
    for strategy in ("random", "dfs"):
        result = races.explore(
            scenario, strategy=strategy, budget=100, watchdog=3600, exclude=_EXCLUDED
        )
        assert not result.failed, result.render()
    # The real locks are back once the exploration is over.
    assert (untraced_library._lock, untraced_library.Registry._lock) == before
    assert type(untraced_library.DEFAULT_CLIENT._lock) is _thread.LockType


@pytest.mark.parametrize("kept", list(_KEPT))
def test_which_thread_takes_an_excluded_librarys_lock_first_is_explored(kept: str) -> None:
    """A switch point comes before each lock the excluded code takes: without one, the
    thread started first always took it first, and dpor proved this program."""
    call_locked = _KEPT[kept]()

    def scenario() -> None:
        _two_threads_through(call_locked, in_order=True)

    result = races.explore(scenario, strategy="dpor", exclude=_EXCLUDED)
    assert result.failed and "[1, 0]" in result.failure.message, result.summary  # type: ignore[union-attr]
    # The steps show where the library takes its lock.
    assert result.trace is not None
    taken = [step for step in result.trace if step.filename == untraced_library.__file__]
    assert len(taken) == 2, result.render(full=True)


@pytest.mark.parametrize(
    ("strategy", "budget"), [("random", 300), ("dfs", 300), ("dfs", 1), ("dpor", 300)]
)
def test_a_callback_under_a_real_lock_the_session_cannot_reach_stops_the_first_run(
    strategy: str, budget: int
) -> None:
    """A lock in a table too large to read at the session's start stays real. The library
    calls the program back while it holds it: races could stop the thread there, and the
    next thread to take the lock would wait where the scheduler cannot see. Whether a
    search stops it there is luck (a one-schedule dfs never does), so the first call back
    under the lock stops the run, whatever the strategy."""

    message = _stopped(untraced_library.call_keyed, strategy, budget=budget)
    called = f"untraced_library.py:{_line('callback()', 'def call_keyed')}"
    assert "called back from call_keyed (" in message and called in message, message
    assert "while that holds `lock`, a real Lock made at " in message
    # The plugin turned birth records on before the library was imported.
    assert f"untraced_library.py:{_line('KEY_LOCKS =')}" in message
    assert "or trace the package (`include=`)" in message


def test_a_switch_point_inside_a_real_lock_the_session_cannot_reach_stops_the_first_run() -> None:
    """The library takes a swapped lock (a switch point) inside a real one: a one-schedule
    dfs, which never stops a thread there, still says so."""

    message = _stopped(untraced_library.nest_keyed, "dfs", budget=1)
    taking = f"untraced_library.py:{_line('with REGISTRY._lock:')}"
    assert "is about to take a lock at " in message and taking in message, message
    assert "inside nest_keyed (" in message and "while that holds `lock`, a real Lock" in message


def test_a_callback_after_an_acquire_names_the_real_rlock_it_holds() -> None:
    message = _stopped(untraced_library.call_keyed_reentrant, "dpor")
    assert "called back from call_keyed_reentrant (" in message, message
    assert "holds `lock`, a real RLock made at " in message
    assert f"untraced_library.py:{_line('KEY_RLOCKS =')}" in message


def test_a_callback_after_the_real_lock_is_released_goes_on() -> None:
    """Outside the ``with`` that took it, the lock is not held around the call back."""

    def scenario() -> None:
        _two_threads_through(lambda callback: untraced_library.call_locked(callback))

    # Here the lock is the module's, swapped: no stop, a proof.
    result = races.explore(scenario, strategy="dpor", watchdog=3600, exclude=_EXCLUDED)
    assert result.summary.startswith("proved"), result.summary


def _stopped(call_locked: Any, strategy: str, budget: int = 300) -> str:
    """The message of the stop of a search of two threads through ``call_locked``, which
    excludes the library (and waits up to an hour for a watchdog that must not fire)."""

    def scenario() -> None:
        _two_threads_through(call_locked)

    with pytest.raises(races.UncontrolledBlockingError) as info:
        races.explore(scenario, strategy=strategy, budget=budget, watchdog=3600, exclude=_EXCLUDED)
    return str(info.value)


def _line(text: str, after: str = "") -> int:
    """The first line of ``untraced_library.py`` that starts with ``text``, after the
    first that starts with ``after``."""
    lines = Path(untraced_library.__file__).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(after))
    return next(i for i, line in enumerate(lines, 1) if i > start and line.strip().startswith(text))


def test_a_real_rlock_held_across_a_switch_point_names_the_thread_that_holds_it() -> None:
    """The library holds its real lock while it sleeps (a switch point, in no code under
    test): the next thread waits for it, and the run stops within a quarter second."""

    message = _stopped(untraced_library.pause_keyed, "dpor")
    assert "waits for `lock`, a real RLock" in message, message
    assert f"untraced_library.py:{_line('with lock:', 'def pause_keyed')}" in message
    assert f"untraced_library.py:{_line('KEY_RLOCKS =')}" in message
    holder = re.search(r"held by (Thread-\d) \(pause_keyed\), which races keeps", message)
    waiter = re.match(r"(Thread-\d) \(pause_keyed\) waits for", message)
    assert holder and waiter and holder.group(1) != waiter.group(1), message


@pytest.mark.parametrize("kept", list(_KEPT))
def test_the_untraced_library_traced_is_explored_alike(kept: str) -> None:
    """Traced, the same library's locks are swapped where its code reads them."""
    call_locked = _KEPT[kept]()
    result = races.explore(lambda: _two_threads_through(call_locked), strategy="dpor")
    assert result.summary.startswith("proved") and result.schedules == 2, result.summary


def test_a_lock_constructor_taken_while_birth_records_were_on_makes_modelled_locks() -> None:
    assert CapturedLock is threading.Lock  # the recording constructor, not the real one

    def add(lock: threading.Lock, total: list[int]) -> None:
        with lock:  # a local: no read of a shared place swaps it for a modelled one
            seen = total[0]
            total[0] = seen + 1

    def scenario() -> None:
        lock, total = CapturedLock(), [0]
        workers = []
        for _ in range(2):  # no comprehension: on 3.11 it would make `lock` a shared cell
            workers.append(threading.Thread(target=add, args=(lock, total)))
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert total == [2]

    result = races.explore(scenario, strategy="dpor", watchdog=3600)
    assert result.summary.startswith("proved") and result.schedules == 2, result.render()


# ------------------------------------------------------------- futures and executors


def _submit_and_forget() -> None:
    def fails() -> None:
        raise ValueError("nobody asks")

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fails)


def _submit_and_ask() -> None:
    def fails() -> None:
        raise ValueError("asked")

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(fails)
    assert isinstance(future.exception(), ValueError)


def test_an_error_left_in_a_future_nobody_asks_fails_the_run() -> None:
    result = races.explore(_submit_and_forget, strategy="dpor")
    assert result.kind is FailureKind.THREAD_EXCEPTION
    assert result.failure is not None and result.failure.pattern == "lost error"
    assert "nobody called result() or exception() on its future" in result.failure.message
    assert not races.explore(_submit_and_ask, strategy="dpor").failed


def test_an_executor_worker_unwound_by_races_logs_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def waits_for_itself() -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(lambda: pool.submit(int).result()).result()

    with caplog.at_level(logging.DEBUG, logger="concurrent.futures"):
        result = races.explore(waits_for_itself, strategy="dpor")
    assert result.kind is FailureKind.STUCK
    assert [r.getMessage() for r in caplog.records] == []  # no "Exception in worker"


@pytest.mark.parametrize("strategy", ["random", "dpor"])
def test_a_logging_handler_made_at_import_is_controlled(strategy: str) -> None:
    """The handler holds its lock (made at import, taken in the standard library) while
    it calls the program's stream: two threads that log meet there, and are scheduled."""
    before = imported_locks.HANDLER.lock
    result = races.explore(
        imported_locks.logging_scenario, strategy=strategy, budget=200, watchdog=3600
    )
    assert not result.failed, result.render()
    if strategy == "dpor":
        assert result.summary.startswith("proved"), result.summary
    assert imported_locks.HANDLER.lock is before
