"""Races found in runs that pass: ``races.detect`` and detection inside ``explore``.

The expected-flags table says, for every threaded variant of the catalogue, what one
detected run reports: the named pattern of a race or lock-order inversion it predicts,
the failure the run itself hit (a deadlock, a stuck thread), or nothing. Every fix must
be clean; every broken lesson whose bug is an unordered conflicting access or a lock
order must be flagged by its first run. Both ways ``detect`` runs threads are held to
it: on real threads (the default) and under the scheduler (``threads="scheduled"``).
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import races
from races.catalogue.registry import load_catalogue
from races.core.detect import Findings, analyse, lock_cycles, touches
from races.runtimes.launch import record
from races.vocabulary.access import Access, Kind, Location, Sync
from races.vocabulary.kinds import FailureKind
from tests import scenarios

#: What one detected run of each variant reports: a pattern, a failure kind, or None.
#: Broken variants that report None have bugs no access ordering of a passing run shows:
#: a missed signal (lost_wakeup, event_pulse_missed, condition_if_not_while), a timer
#: that fires before the cancel only in another run (timer_cancel_race), a queue whose
#: check and act are calls its own lock orders (empty_then_get), two atomic appends meant
#: as one record (torn_records), and a lock held across a join that does not deadlock in
#: the run that holds it (join_under_lock): ``explore`` finds those by running the
#: interleavings, and its report names them. The cache server's entries are modelled
#: (``races.runtimes.threads.models.memcache``), so its lost update is predicted.
EXPECTED: dict[str, str | None] = {
    "unlocked_counter.broken": "lost update",
    "unlocked_counter.broken_pause": "lost update",
    "unlocked_counter.fixed": None,
    "lock_reentry.broken": "deadlock",
    "lock_reentry.fixed_rlock": None,
    "lock_reentry.fixed_unlocked_helpers": None,
    "unbounded_semaphore.broken": "over-release",
    "unbounded_semaphore.broken_bounded": "thread exception",
    "unbounded_semaphore.fixed": None,
    "join_under_lock.broken": None,
    "join_under_lock.fixed": None,
    "queue_join_missing_task_done.broken": "stuck thread",
    "queue_join_missing_task_done.fixed": None,
    "qsize_check_consumer.broken": "stuck thread",
    "qsize_check_consumer.fixed": None,
    "empty_then_get.broken": None,
    "empty_then_get.fixed": None,
    "lock_order_deadlock.broken": "lock-order inversion",
    "lock_order_deadlock.fixed": None,
    "dining_philosophers.broken": "lock-order inversion",
    "dining_philosophers.fixed_ordered_forks": None,
    "dining_philosophers.fixed_waiter": None,
    "condition_if_not_while.broken": None,
    "condition_if_not_while.fixed": None,
    "lost_wakeup.broken": None,
    "lost_wakeup.fixed": None,
    "event_pulse_missed.broken": None,
    "event_pulse_missed.fixed": None,
    "lazy_init_race.broken": "check-then-act",
    "lazy_init_race.fixed": None,
    "check_then_act_balance.broken": "check-then-act",
    "check_then_act_balance.fixed": None,
    "dict_changed_during_iteration.broken": "changed during iteration",
    "dict_changed_during_iteration.fixed": None,
    "timer_cancel_race.broken": None,
    "timer_cancel_race.fixed": None,
    "home_made_pool_lost_slot.broken": "resource leak",
    "home_made_pool_lost_slot.fixed_finally": None,
    "home_made_pool_lost_slot.fixed_executor": None,
    "future_callback_race.broken": "lost update",
    "future_callback_race.fixed_lock": None,
    "future_callback_race.fixed_as_completed": None,
    "torn_records.broken": None,
    "torn_records.fixed": None,
    "cache_lost_update.broken": "lost update",
    "cache_lost_update.fixed_incr": None,
    "cache_lost_update.fixed_cas": None,
    "thread_exception_lost.broken": "thread exception",
    "thread_exception_lost.fixed_errors_list": None,
    "thread_exception_lost.fixed_futures": None,
    "join_timeout_unchecked.broken": "order violation",
    "join_timeout_unchecked.fixed_is_alive": None,
    "join_timeout_unchecked.fixed_join": None,
    "one_sentinel_many_consumers.broken": "stuck thread",
    "one_sentinel_many_consumers.fixed_sentinel_each": None,
    "condition_notify_wrong_waiter.broken": "stuck thread",
    "condition_notify_wrong_waiter.fixed_two_conditions": None,
    "condition_notify_wrong_waiter.fixed_notify_all": None,
    # A generator's "already executing" state is not an access races records: the one run
    # detect makes runs each thread's next() whole.
    "generator_already_executing.broken": None,
    "generator_already_executing.fixed_lock": None,
    "generator_already_executing.fixed_queue": None,
    "nested_submit_deadlock.broken": "stuck thread",
    "nested_submit_deadlock.fixed_inline": None,
    "nested_submit_deadlock.fixed_two_pools": None,
    "future_exception_unretrieved.broken": "lost error",
    "future_exception_unretrieved.fixed_result": None,
    "future_exception_unretrieved.fixed_as_completed": None,
    # asyncio.run on a controlled thread: a blocking sleep in the loop's thread is seen as
    # such; a worker's put into the loop's queue is a wake-up the loop never gets.
    "async_blocking_call.broken": "blocked event loop",
    "async_blocking_call.fixed_async_client": None,
    "async_blocking_call.fixed_to_thread": None,
    "async_blocking_call.fixed_run_in_executor": None,
    "async_call_from_thread.broken": "missed signal",
    "async_call_from_thread.fixed_call_soon_threadsafe": None,
    "async_call_from_thread.fixed_run_coroutine_threadsafe": None,
}


#: On real threads (``races.detect``'s default) the run is the program's own, and where
#: its outcome turns on timing, a broken variant's run may go either way: its bug may
#: show in the run itself (a hang, an exception, a failed assertion), or a run may miss
#: it. Each broken variant here shows what the table says or one of these; a fix never
#: shows anything, on real threads or under the scheduler.
BY_TIMING: dict[str, set[str | None]] = {
    "condition_if_not_while.broken": {"thread exception", "assertion"},  # both consumers woke
    "condition_notify_wrong_waiter.broken": {None},  # the notifies woke the right kind
    "empty_then_get.broken": {"stuck thread"},  # both saw the one job
    "event_pulse_missed.broken": {"stuck thread"},  # the pulse came before the wait
    "generator_already_executing.broken": {"thread exception"},  # ValueError, for real
    "join_timeout_unchecked.broken": {None},  # the price came before the join gave up
    "join_under_lock.broken": {"deadlock"},  # the worker had not taken the lock yet
    "lost_wakeup.broken": {"stuck thread"},  # the notify came before the wait
    "qsize_check_consumer.broken": {None},  # the jobs were in before the consumer looked
    "timer_cancel_race.broken": {"order violation"},  # the timer fired first
    "torn_records.broken": {"torn write", "assertion"},  # the records were torn, for real
}


def _threaded_variants() -> list[str]:
    catalogue = load_catalogue()
    return [
        f"{case.name}.{variant}"
        for case in catalogue.ordered()
        if case.runtime == "threads" and not case.needs
        for variant in case.variants
    ]


def test_the_table_covers_every_threaded_variant() -> None:
    assert sorted(_threaded_variants()) == sorted(EXPECTED)


@pytest.mark.parametrize("threads", ["real", "scheduled"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_flags(name: str, threads: Literal["real", "scheduled"]) -> None:
    case_name, variant = name.split(".")
    case = load_catalogue().get(case_name)
    if case.missing():
        pytest.fail(f"{case_name} needs {case.missing()}; install the project's test extras")
    module = case.module(variant)
    if hasattr(module, "setup"):
        module.setup()
    result = races.detect(module.scenario, exclude=case.exclude, threads=threads)
    expected = EXPECTED[name]
    allowed = {expected} | (BY_TIMING.get(name, set()) if threads == "real" else set())
    if result.failure is None:
        assert None in allowed, f"{name} was not flagged"
        assert result.findings == []
    else:
        shown = {result.failure.pattern, str(result.failure.kind)}
        assert shown & allowed, result.render()


def test_a_race_is_reported_from_a_run_that_passed() -> None:
    result = races.detect(scenarios.single_line_counter, threads="scheduled")
    # The run itself passed: each thread ran its increment whole.
    assert result.kind is FailureKind.RACE
    assert result.failure is not None and result.failure.exception is None
    report = result.render()
    assert report.startswith("lost update in ")
    assert "predicted" in report and "`counter`" in report
    assert "To replay:" in report


def test_lock_order_is_reported_from_a_run_that_did_not_deadlock() -> None:
    result = races.detect(scenarios.ab_ba_deadlock, threads="scheduled")
    assert result.kind is FailureKind.LOCK_ORDER
    report = result.render()
    assert "took the lock of" in report and "while holding the lock of" in report
    assert report.count("with ") >= 2  # both acquisition sites are quoted


def test_correct_programs_of_the_test_suite_are_not_flagged() -> None:
    for scenario in (scenarios.locked_counter, scenarios.rlock_reacquired):
        result = races.detect(scenario)
        assert not result.failed, result.render()


def test_two_appends_are_not_a_race_but_check_then_insert_is() -> None:
    items: list[int] = []
    table: dict[str, int] = {}

    def append_both() -> None:
        items.clear()
        threads = [threading.Thread(target=items.append, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def insert(key: str) -> None:
        if key not in table:
            table[key] = 1

    def insert_both() -> None:
        table.clear()
        threads = [threading.Thread(target=insert, args=("k",)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert not races.detect(append_both).failed
    found = races.detect(insert_both)
    assert found.failure is not None and found.failure.pattern == "check-then-act"


SHARED_TABLE = [1, 2, 3]


def _two_threads(work: Callable[[], object]) -> None:
    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_two_loops_over_one_list_are_not_a_race_but_a_loop_and_an_append_are() -> None:
    def total() -> None:
        t = 0
        for x in SHARED_TABLE:  # both threads only read it
            t += x

    assert not races.explore(lambda: _two_threads(total), strategy="dpor").failed
    assert not races.detect(lambda: _two_threads(total)).failed

    items = [1, 2]

    def grow_while_reading() -> None:
        for _ in items:
            pass
        items.append(3)

    found = races.detect(lambda: _two_threads(grow_while_reading), threads="scheduled")
    assert found.failed and found.kind is FailureKind.RACE


def _private_lists() -> None:
    """Each thread checks a list of its own, which dies, then fills another: CPython
    makes the second thread's list where the first thread's was."""

    def check() -> None:
        parts = "a b".split()
        assert len(parts) == 2

    def fill() -> None:
        chunks: list[str] = []
        chunks.append("x")

    def work() -> None:
        check()
        fill()

    _two_threads(work)


def test_two_threads_private_objects_at_one_address_are_not_a_race() -> None:
    result = races.explore(_private_lists, strategy="random", budget=30, database=None)
    assert not result.failed, result.render()


def test_the_named_accesses_are_exactly_the_conflicting_ones() -> None:
    outcome = record(scenarios.single_line_counter)
    log = touches(outcome)
    # Brute force: every pair of accesses by two threads to one location, one of them a
    # write, that nothing orders.
    unordered = {
        (a.order, b.order)
        for a in log
        for b in log
        if a.order < b.order
        and a.thread != b.thread
        and a.access.conflicts(b.access)
        and not a.ordered(b)
    }
    violations = analyse(outcome).violations
    assert violations and {v.location.name for v in violations} == {"counter"}
    violation = next(v for v in violations if not v.stale)  # the lost write
    first, remote, second = violation.first, violation.remote, violation.second
    assert violation.location.name == "counter"
    assert (first.access.kind, remote.access.kind, second.access.kind) == (
        Kind.READ,
        Kind.WRITE,
        Kind.WRITE,
    )
    assert first.thread == second.thread != remote.thread
    assert tuple(sorted((first.order, remote.order))) in unordered
    assert tuple(sorted((remote.order, second.order))) in unordered
    # The report names those three accesses, and tags each of their lines.
    cause = races.detect(scenarios.single_line_counter, threads="scheduled").findings[0]
    assert cause.pattern == "lost update"
    assert cause.headline.count("`counter`") >= 2
    tagged = [line for line in cause.focus.splitlines() if line.rstrip().endswith("]")]
    assert len(tagged) >= 3
    assert all("counter]" in line for line in tagged)


def test_explore_reports_the_cause_with_the_failure() -> None:
    result = races.explore(scenarios.single_line_counter, seed=0)
    assert result.kind is FailureKind.ASSERTION
    assert result.failure is not None and result.failure.pattern == "lost update"
    report = result.render()
    assert report.startswith("lost update in ")
    assert "update is lost" in report
    assert len(report.splitlines()) <= 25
    full = result.render(full=True)
    assert "~~ switch:" in full and "~~ switch:" not in report


def test_detection_can_be_turned_off() -> None:
    result = races.explore(scenarios.locked_counter, strategy="dfs", detect=False)
    assert not result.failed
    assert result.findings == []


def test_async_lock_order_is_reported_from_a_run_that_did_not_deadlock() -> None:
    module = load_catalogue().get("async_lock_order_deadlock").module("broken")
    assert record(module.scenario).failure is None  # each task went as far as it could
    result = races.detect(module.scenario)
    assert result.kind is FailureKind.LOCK_ORDER, result.render()
    assert result.render().count("while holding the lock of `async with source.lock:`") == 2


# ---------------------------------------------------------------------------- lock classes
# A lock is named by where it was made, so the lock-order graph grows across runs.


def test_locks_are_named_by_where_they_were_made_and_which_one_they_are() -> None:
    from races.core.codefilter import CodeFilter
    from races.core.sites import LockClasses

    classes = LockClasses()
    here = __file__
    this_file = CodeFilter((here,))

    def make() -> tuple[object, object]:
        return classes.name(this_file), classes.name(this_file)

    first, second = make()
    assert first is not None and second is not None
    assert first[:2] == second[:2] and first[0] == here  # one line...
    assert (first[2], second[2]) == (0, 1)  # ...two locks
    again = LockClasses()
    assert again.name(this_file)[2] == 0  # type: ignore[index]


def _two_workers(flip: bool) -> Callable[[], None]:
    """Two workers take two locks in one order; which order, the caller decides."""

    def scenario() -> None:
        a, b = threading.Lock(), threading.Lock()
        first, second = (b, a) if flip else (a, b)

        def take() -> None:
            with first:
                with second:
                    pass

        workers = [threading.Thread(target=take) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    return scenario


def test_the_lock_order_graph_grows_across_runs() -> None:
    merged = Findings()
    for flip in (False, True):
        found = analyse(record(_two_workers(flip)))
        assert not found.lock_cycles  # each run takes the locks in one order
        merged.merge(found)
    # The same two locks (made at the same line) taken in both orders: a cycle.
    (cycle,) = lock_cycles(merged.lock_edges.values())
    assert {edge.held[2] for edge in cycle.edges} == {0, 1}
    assert {edge.who for edge in cycle.edges} == {"Thread-1 (take)", "Thread-2 (take)"}


def test_locks_made_before_the_run_keep_their_name_across_runs() -> None:
    a, b = threading.Lock(), threading.Lock()

    def one_way(x: threading.Lock, y: threading.Lock) -> Callable[[], None]:
        def scenario() -> None:
            def take() -> None:
                with x, y:
                    pass

            worker = threading.Thread(target=take)
            worker.start()
            worker.join()

        return scenario

    merged = Findings()
    for x, y in ((a, b), (b, a)):
        merged.merge(analyse(record(one_way(x, y))))
    # One thread in each run, both named Thread-1: the same thread cannot deadlock itself.
    assert not lock_cycles(merged.lock_edges.values())
    assert {(e.held[2], e.taken[2]) for e in merged.lock_edges.values()} == {
        (id(a), id(b)),
        (id(b), id(a)),
    }


def test_explore_reports_a_cycle_no_single_schedule_shows() -> None:
    """The order of locking follows a setting another thread may change: each schedule
    takes the locks in one order, but different schedules in different orders."""
    result = races.explore(scenarios.lock_order_follows_a_setting, strategy="random", budget=50)
    assert result.kind is FailureKind.LOCK_ORDER, result.render()
    assert "the lock orders of schedules 1-" in result.summary


def test_analysis_of_a_run_without_accesses_finds_nothing() -> None:
    from races.vocabulary.outcome import Outcome

    assert not analyse(Outcome(failure=None, steps=0, decisions=[], trace=[], thread_names=["m"]))


# ---------------------------------------------------------------------------- happens-before
# Each primitive orders a producer's update before the consumer's: no race. The same
# handoff without it is one.


def _handoff(wait_for_producer: Callable[[], None], signal: Callable[[], None]) -> None:
    box = {"v": 0}

    def producer() -> None:
        box["v"] += 1
        signal()

    worker = threading.Thread(target=producer)
    worker.start()
    wait_for_producer()
    box["v"] += 1
    worker.join()


def by_join() -> None:
    box = {"v": 0}

    def producer() -> None:
        box["v"] += 1

    worker = threading.Thread(target=producer)
    worker.start()
    worker.join()
    box["v"] += 1


def by_queue() -> None:
    q: queue.Queue[int] = queue.Queue()
    _handoff(q.get, lambda: q.put(1))


def by_event() -> None:
    event = threading.Event()
    _handoff(event.wait, event.set)


def by_barrier() -> None:
    barrier = threading.Barrier(2)
    _handoff(barrier.wait, barrier.wait)


def by_condition() -> None:
    condition = threading.Condition()
    ready = [False]

    def wait() -> None:
        with condition:
            while not ready[0]:
                condition.wait()

    def notify() -> None:
        with condition:
            ready[0] = True
            condition.notify()

    _handoff(wait, notify)


def by_semaphore() -> None:
    semaphore = threading.Semaphore(0)
    _handoff(semaphore.acquire, semaphore.release)


def by_future() -> None:
    box = {"v": 0}

    def producer() -> int:
        box["v"] += 1
        return 1

    with ThreadPoolExecutor(1) as pool:
        pool.submit(producer).result()
        box["v"] += 1


def unordered() -> None:
    _handoff(lambda: None, lambda: None)


@pytest.mark.parametrize(
    "scenario",
    [by_join, by_queue, by_event, by_barrier, by_condition, by_semaphore, by_future],
    ids=lambda f: f.__name__,
)
def test_synchronisation_orders_the_handoff(scenario: Callable[[], None]) -> None:
    result = races.detect(scenario)
    assert not result.failed, result.render()


def test_the_handoff_without_synchronisation_is_a_lost_update() -> None:
    result = races.detect(unordered)
    assert result.failure is not None and result.failure.pattern == "lost update"
    assert "`box['v']`" in result.render()


# ---------------------------------------------------------------------------- asyncio
# A task's step runs whole, from one await to the next: a read and a write in one step
# can never be split, and tasks are ordered by what they await and the primitives they
# share.

EXPECTED_ASYNC: dict[str, str | None] = {
    "async_check_then_act.broken": "check-then-act",
    "async_check_then_act.fixed": None,
    "async_lost_update.broken": "lost update",
    "async_lost_update.fixed_no_await": None,
    "async_lost_update.fixed_lock": None,
    "async_queue_join_missing_task_done.broken": "missed signal",
    "async_queue_join_missing_task_done.fixed": None,
    "async_lock_order_deadlock.broken": "lock-order inversion",
    "async_lock_order_deadlock.fixed": None,
    "async_fire_and_forget.broken": "lost work",
    "async_fire_and_forget.broken_error": "lost error",
    "async_fire_and_forget.fixed": None,
}


def test_the_async_table_covers_every_asyncio_variant() -> None:
    variants = [
        f"{case.name}.{variant}"
        for case in load_catalogue().ordered()
        if case.runtime == "asyncio"
        for variant in case.variants
    ]
    assert sorted(variants) == sorted(EXPECTED_ASYNC)


@pytest.mark.parametrize("name", sorted(EXPECTED_ASYNC))
def test_expected_flags_of_tasks(name: str) -> None:
    case_name, variant = name.split(".")
    module = load_catalogue().get(case_name).module(variant)
    result = races.detect(module.scenario)
    expected = EXPECTED_ASYNC[name]
    if expected is None:
        assert not result.failed, result.render()
    else:
        assert result.failure is not None and result.failure.pattern == expected, result.render()


shared = 0


async def _add_across_an_await() -> None:
    global shared
    value = shared
    await asyncio.sleep(0)
    shared = value + 1


async def _add_later() -> None:
    global shared
    for _ in range(3):
        await asyncio.sleep(0)
    shared += 1  # after the other task is done, in FIFO order: the run passes


async def tasks_race_in_a_run_that_passes() -> None:
    global shared
    shared = 0
    await asyncio.gather(_add_across_an_await(), _add_later())
    assert shared == 2


async def tasks_locked() -> None:
    global shared
    shared = 0
    lock = asyncio.Lock()

    async def add() -> None:
        global shared
        async with lock:
            value = shared
            await asyncio.sleep(0)
            shared = value + 1

    await asyncio.gather(add(), add())
    assert shared == 2


async def tasks_hand_over_by_queue() -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    box = {"v": 0}

    async def producer() -> None:
        box["v"] += 1
        await queue.put(1)

    async def consumer() -> None:
        await queue.get()
        await asyncio.sleep(0)
        box["v"] += 1

    await asyncio.gather(consumer(), producer())


async def tasks_hand_over_by_event() -> None:
    event = asyncio.Event()
    box = {"v": 0}

    async def producer() -> None:
        value = box["v"]
        await asyncio.sleep(0)
        box["v"] = value + 1
        event.set()

    async def consumer() -> None:
        await event.wait()
        box["v"] += 1

    await asyncio.gather(consumer(), producer())


def test_a_task_race_is_predicted_from_a_run_that_passed() -> None:
    result = races.detect(tasks_race_in_a_run_that_passes)
    assert result.kind is FailureKind.RACE
    assert result.failure is not None and result.failure.pattern == "lost update"
    assert "`shared`" in result.render() and "predicted" in result.render()


@pytest.mark.parametrize(
    "scenario",
    [tasks_locked, tasks_hand_over_by_queue, tasks_hand_over_by_event],
    ids=lambda f: f.__name__,
)
def test_task_synchronisation_orders_the_accesses(scenario: Callable[[], object]) -> None:
    result = races.detect(scenario)
    assert not result.failed, result.render()


def test_explore_of_tasks_finds_no_race_where_none_can_happen() -> None:
    result = races.explore(tasks_locked, strategy="dfs")
    assert not result.failed, result.render()


class _Conn:
    def send(self) -> str:
        return "sent"


_conn: _Conn | None = None


def _use_connection() -> None:
    if _conn is not None:
        _conn.send()


def _close_connection() -> None:
    global _conn
    _conn = None


def check_then_use() -> None:
    global _conn
    _conn = _Conn()
    threads = [threading.Thread(target=f) for f in (_use_connection, _close_connection)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.parametrize("threads", ["real", "scheduled"])
def test_a_check_then_use_is_a_stale_read_predicted_from_a_run_that_passed(
    threads: Literal["real", "scheduled"],
) -> None:
    """`if conn is not None: conn.send()` while another thread closes it: the use can see
    what the check ruled out. Whichever order the run took, the race is named."""
    result = races.detect(check_then_use, threads=threads)
    assert result.findings and result.findings[0].pattern == "stale read", result.render()
    headline = result.findings[0].headline
    assert "checked `_conn`" in headline and "used `_conn`" in headline
    assert "`_conn`" in result.findings[0].summary


def test_exploring_a_check_then_use_leads_with_the_stale_read() -> None:
    result = races.explore(check_then_use, seed=0)
    assert result.failed and result.kind is FailureKind.THREAD_EXCEPTION
    assert result.render().startswith("stale read in ")


# ------------------------------------------------------ happens-before against brute force


@st.composite
def logs(draw: st.DrawFn) -> list[tuple[int, int, object, object]]:
    """A run's log: thread 0 starts threads 1 and 2; each thread reads and writes two
    locations and releases and acquires two locks, interleaved at random."""
    started = {0}
    events: list[tuple[int, int, object, object]] = []
    for step in range(draw(st.integers(1, 40))):
        thread = draw(st.sampled_from(sorted(started)))
        choice = draw(st.integers(0, 4))
        if thread == 0 and len(started) < 3 and choice == 4:
            child = len(started)
            started.add(child)
            event: object = Sync("start", child)
        elif choice <= 1:
            kind = Kind.READ if choice == 0 else Kind.WRITE
            location = Location(1, draw(st.sampled_from("xy")), "")
            event = Access(location, kind)
        else:
            event = Sync(
                draw(st.sampled_from(["acquire", "release"])), 100 + draw(st.integers(0, 1))
            )
        events.append((thread, step, event, None))
    return events


def _happens_before(events: list[tuple[int, int, object, object]]) -> set[tuple[int, int]]:
    """Every pair (i, j), i before j in the log, joined by a path of program order, thread
    starts, and each acquire's edge from the lock's last release before it."""
    edges: dict[int, set[int]] = {i: set() for i in range(len(events))}
    last_of: dict[int, int] = {}
    released: dict[int, int] = {}
    for i, (thread, _, event, _) in enumerate(events):
        if thread in last_of:
            edges[last_of[thread]].add(i)
        last_of[thread] = i
        if isinstance(event, Sync):
            if event.kind == "start":
                last_of[event.obj] = i  # the child's first event follows its start
            elif event.kind == "release":
                released[event.obj] = i
            elif event.kind == "acquire" and event.obj in released:
                edges[released[event.obj]].add(i)
    reach: set[tuple[int, int]] = set()
    for i in reversed(range(len(events))):
        for j in edges[i]:
            reach.add((i, j))
            reach.update((i, k) for (m, k) in list(reach) if m == j)
    return reach


@given(logs())
@settings(max_examples=200, deadline=None)
def test_the_clocks_order_exactly_what_happens_before(
    events: list[tuple[int, int, object, object]],
) -> None:
    """Each access keeps its epoch and a snapshot its thread shares until it next
    synchronises: whether two accesses are ordered is what the log's edges say."""
    log = touches(SimpleNamespace(events=events))  # type: ignore[arg-type]
    index = {touch.order: touch.order - 1 for touch in log}
    reach = _happens_before(events)
    for a in log:
        for b in log:
            if a.order < b.order:
                expected = a.thread == b.thread or (index[a.order], index[b.order]) in reach
                assert a.ordered(b) == expected, (a, b)
    # Between two synchronisations of a thread, its accesses share one snapshot.
    for thread in {touch.thread for touch in log}:
        mine = [touch for touch in log if touch.thread == thread]
        for a, b in itertools.pairwise(mine):
            between = events[a.order : b.order - 1]
            synchronised = any(t == thread and isinstance(e, Sync) for t, _, e, _ in between)
            assert (a.seen is b.seen) is not synchronised
