"""races.explore and races.replay on the scenarios every concurrency tool must get right."""

from __future__ import annotations

import _thread
import functools
import queue
import sys
import threading
import time
from typing import Any

import pytest

import races
from races import FailureKind
from races.runtimes.threads.deadlock import RLOCK_HINT
from tests import scenarios


@pytest.mark.parametrize("seed", range(10))
def test_random_finds_the_single_line_lost_update_within_20_schedules(seed: int) -> None:
    result = races.explore(
        scenarios.single_line_counter,
        strategy="random",
        seed=seed,
        budget=20,
        granularity="instruction",
    )
    assert result.failed
    assert result.kind is FailureKind.ASSERTION
    assert result.found_after is not None and result.found_after <= 20
    assert result.preemptions == 1


def test_dfs_finds_the_single_line_lost_update_with_one_preemption() -> None:
    result = races.explore(scenarios.single_line_counter, strategy="dfs")
    assert result.kind is FailureKind.ASSERTION
    assert result.preemptions == 1
    assert "lost update: counter is 1" in result.failure.message


def test_dfs_proves_the_locked_counter_up_to_two_preemptions() -> None:
    result = races.explore(scenarios.locked_counter, strategy="dfs")
    assert not result.failed
    assert result.summary == (
        f"no failure in all {result.schedules} schedules with at most 2 preemptions"
    )
    assert result.schedules > 100  # it really explored, it did not stop at the first run


def test_line_granularity_cannot_split_a_single_line_increment() -> None:
    result = races.explore(
        scenarios.single_line_counter, strategy="dfs", granularity="line", detect=False
    )
    assert not result.failed


def test_line_granularity_still_predicts_the_lost_update_from_the_accesses() -> None:
    # No schedule of whole lines splits `counter += 1`, but its read and write are still
    # unordered with the other thread's: detection reports what instructions would show.
    result = races.explore(scenarios.single_line_counter, strategy="dfs", granularity="line")
    assert result.kind is FailureKind.RACE
    assert result.failure is not None and result.failure.pattern == "lost update"
    assert "predicted" in result.render()
    assert "no schedule failed" in result.summary


def test_line_granularity_finds_the_two_line_increment() -> None:
    result = races.explore(scenarios.two_line_counter, strategy="dfs", granularity="line")
    assert result.kind is FailureKind.ASSERTION
    assert str(result.schedule).startswith(f"line@{sys.version_info[0]}.{sys.version_info[1]}: ")


def test_pct_finds_the_lost_update() -> None:
    result = races.explore(scenarios.single_line_counter, strategy="pct", seed=0, budget=200)
    assert result.kind is FailureKind.ASSERTION


def test_hypothesis_finds_and_shrinks_the_lost_update_to_one_preemption() -> None:
    result = races.explore(scenarios.single_line_counter, strategy="hypothesis", seed=0, budget=300)
    assert result.kind is FailureKind.ASSERTION
    assert result.preemptions == 1


def test_hypothesis_database_replays_a_known_failure_first() -> None:
    from hypothesis.database import InMemoryExampleDatabase

    db = InMemoryExampleDatabase()
    first = races.explore(scenarios.two_line_counter, strategy="hypothesis", seed=1, database=db)
    assert first.failed
    again = races.explore(scenarios.two_line_counter, strategy="hypothesis", seed=2, database=db)
    assert again.failed
    assert again.found_after is not None and again.found_after < first.found_after
    assert again.found_after == 1


def test_ab_ba_lock_order_is_a_deadlock_with_its_cycle_named() -> None:
    result = races.explore(scenarios.ab_ba_deadlock, seed=0)
    assert result.kind is FailureKind.DEADLOCK
    message = result.failure.message
    assert "Thread-1 (_a_then_b)" in message and "Thread-2 (_b_then_a)" in message
    assert "lock_a (Lock)" in message and "lock_b (Lock)" in message
    report = result.failure.report
    assert "holds lock_a (Lock) (acquired at" in report
    assert "scenarios.py" in report and "with lock_a:" in report


def test_a_lock_reacquired_by_its_owner_is_a_self_deadlock_with_the_rlock_hint() -> None:
    result = races.explore(scenarios.lock_reacquired)
    assert result.kind is FailureKind.DEADLOCK
    assert result.failure.message.startswith("self-deadlock: MainThread acquires lock (Lock)")
    assert RLOCK_HINT in result.failure.report
    assert result.schedules == 1  # one thread: every schedule is the same


def test_an_rlock_reacquired_by_its_owner_is_fine() -> None:
    result = races.explore(scenarios.rlock_reacquired, strategy="dfs")
    assert not result.failed


def test_queue_join_with_a_forgotten_task_done_is_stuck_at_its_wait_site() -> None:
    result = races.explore(scenarios.queue_join_without_task_done)
    assert result.kind is FailureKind.STUCK
    assert "MainThread waits in Queue.join at" in result.failure.message
    assert "scenarios.py" in result.failure.message
    assert "`jobs.join()`" in result.failure.report


def test_an_infinite_loop_ends_at_the_step_limit_with_its_last_steps_shown() -> None:
    result = races.explore(scenarios.infinite_loop, max_steps=500)
    assert result.kind is FailureKind.STEP_LIMIT
    assert "max_steps=500" in result.failure.message
    rendering = result.render()
    assert "The last steps:" in rendering
    assert "n += 1" in rendering


def test_an_exception_in_a_thread_fails_the_run() -> None:
    result = races.explore(scenarios.thread_raises)
    assert result.kind is FailureKind.THREAD_EXCEPTION
    assert result.failure.message == "ValueError: worker failed (uncaught in Thread-1 (worker))"


def test_replay_reproduces_the_identical_trace_100_times_out_of_100() -> None:
    found = races.explore(scenarios.single_line_counter, seed=3)
    assert found.failed
    traces = [
        races.replay(scenarios.single_line_counter, str(found.schedule)).trace for _ in range(100)
    ]
    assert all(trace == found.trace for trace in traces)
    assert all(races.replay(scenarios.single_line_counter, found.schedule).failed for _ in range(3))


def test_the_scheduler_is_deterministic_if_seeded() -> None:
    runs = [races.explore(scenarios.check_then_act_on_dict, seed=7) for _ in range(3)]
    assert len({str(r.schedule) for r in runs}) == 1
    assert len({r.found_after for r in runs}) == 1


def test_a_failure_message_ends_with_the_line_that_replays_it() -> None:
    result = races.explore(scenarios.single_line_counter, seed=0)
    with pytest.raises(races.RaceFailure) as info:
        result.raise_if_failed()
    last_line = str(info.value).splitlines()[-1]
    assert (
        last_line
        == f"To replay: races.replay(tests.scenarios.single_line_counter, {str(result.schedule)!r})"
    )
    # ... and the line does what it says.
    namespace = {"races": races, "tests": __import__("tests.scenarios")}
    replayed = eval(last_line.removeprefix("To replay: "), namespace)
    assert replayed.trace == result.trace


def test_watched_variables_show_both_threads_reading_the_same_value() -> None:
    result = races.explore(scenarios.single_line_counter, strategy="dfs", watch=["counter"])
    reads = [
        s
        for s in result.trace
        if s.instruction
        and s.instruction.startswith("LOAD_GLOBAL")
        and "counter" in s.instruction
        and s.thread != 0
    ]
    assert [s.values for s in reads] == [("0",), ("0",)]
    writes = [s for s in result.trace if s.instruction == "STORE_GLOBAL counter" and s.thread != 0]
    assert [s.values for s in writes] == [("1",), ("1",)]
    full = result.render(full=True)
    assert "~~ switch:" in full and "(preempted)" in full


def test_nested_explore_is_a_clear_error() -> None:
    def scenario() -> None:
        races.explore(scenarios.single_line_counter)

    result = races.explore(scenario)
    assert isinstance(result.failure.exception, races.NestedExplorationError)
    assert "cannot nest" in str(result.failure.exception)


def test_keyboard_interrupt_leaves_nothing_behind() -> None:
    def scenario() -> None:
        def worker() -> None:
            _thread.interrupt_main()  # Ctrl-C, delivered to the thread that called explore
            threading.Event().wait()

        t = threading.Thread(target=worker)
        t.start()
        t.join()

    with pytest.raises(KeyboardInterrupt):
        races.explore(scenario, budget=10_000)
    # the autouse fixture checks that no thread, hook or patch is left


def _same(lock: Any) -> Any:
    return lock


def _named(lock: Any) -> None:
    with lock:  # reached only as an argument: races cannot swap it where it lives
        x = 1
        x += 1


def _unnamed(lock: Any) -> None:
    with _same(lock):  # a call's result: races cannot name it without running code
        x = 1
        x += 1


@pytest.mark.parametrize(
    ("critical", "watchdog", "message"),
    [
        # A held real lock races can name: the run stops at once, whatever the watchdog.
        (_named, 3600, "Thread-2 waits for `lock`, a real Lock made at "),
        # One it cannot: the watchdog reports the thread and where it is.
        (_unnamed, 0.5, "without reaching a switch point; it is probably blocked"),
    ],
    ids=["named", "unnamed"],
)
def test_a_thread_blocked_outside_the_scheduler_is_reported_not_hung(
    critical: Any, watchdog: float, message: str
) -> None:
    class Holder:
        def __init__(self) -> None:
            self.lock = _thread.allocate_lock()  # real, made before the exploration

    holder = Holder()
    body = functools.partial(critical, holder.lock)

    def scenario() -> None:
        scenarios._run_all(body, body)

    with pytest.raises(races.UncontrolledBlockingError) as info:
        races.explore(scenario, strategy="dfs", watchdog=watchdog)
    assert message in str(info.value), str(info.value)
    # No one can interrupt a thread blocked in a real lock; the lock's owner can free it,
    # and then the thread ends.
    assert info.value.stragglers, "the blocked thread cannot have been stopped"
    if holder.lock.locked():
        holder.lock.release()
    assert info.value.join(timeout=30)


def test_virtual_time_makes_timeouts_instant() -> None:
    def scenario() -> None:
        never = threading.Event()
        start = time.monotonic()
        time.sleep(100)
        assert time.monotonic() - start == 100
        t = threading.Thread(target=never.wait)
        t.start()
        t.join(timeout=1)
        assert t.is_alive()
        assert never.wait(timeout=5) is False
        never.set()
        t.join()

    before = time.perf_counter()
    result = races.explore(scenario, budget=50)
    assert not result.failed, result.render()
    assert time.perf_counter() - before < 30


def test_module_level_real_locks_are_swapped_while_exploring_and_restored_after() -> None:
    real = scenarios.lock_a
    result = races.explore(scenarios.ab_ba_deadlock)
    assert result.failed
    assert scenarios.lock_a is real and type(real) is _thread.LockType
    assert not real.locked()


def test_thread_pool_executor_runs_under_the_scheduler() -> None:
    from concurrent.futures import ThreadPoolExecutor

    def scenario() -> None:
        totals = {"n": 0}

        def add() -> None:
            value = totals["n"]
            totals["n"] = value + 1

        pool = ThreadPoolExecutor(max_workers=2)
        futures = [pool.submit(add) for _ in range(2)]
        for f in futures:
            f.result()
        assert totals["n"] == 2, totals  # the pool is never shut down: not a stuck thread

    result = races.explore(scenario, seed=0)
    assert result.kind is FailureKind.ASSERTION
    assert "ThreadPoolExecutor-0_" in " ".join(result.trace.thread_names)


@pytest.mark.parametrize(
    "text",
    ["", "line 4>1", "line: 4-1", "line: 0>1", "line: 5>1 3>0", "line@3: 4>1", "fiber: 1>0"],
)
def test_a_malformed_schedule_is_a_clear_error(text: str) -> None:
    with pytest.raises(races.ScheduleError, match="schedule"):
        races.replay(scenarios.single_line_counter, text)


@pytest.mark.parametrize("granularity", ["line", "instruction"])
def test_a_schedule_from_another_python_is_refused(granularity: str) -> None:
    with pytest.raises(
        races.ScheduleError, match=r"recorded on Python 2\.7, and this is Python 3\."
    ):
        races.replay(scenarios.single_line_counter, f"{granularity}@2.7: 5>1")


def test_a_schedule_that_does_not_fit_the_scenario_diverges_clearly() -> None:
    with pytest.raises(races.ScheduleDivergedError, match="switches to thread 7"):
        races.replay(scenarios.single_line_counter, "line: 3>7")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"strategy": "bfs"},
            "unknown strategy 'bfs'; choose one of random, pct, dfs, dpor, hypothesis",
        ),
        ({"granularity": "word"}, "granularity must be 'line' or 'instruction'"),
        ({"budget": 0}, "budget must be at least 1"),
        ({"watch": ["nonexistent"]}, "'nonexistent' is not a global"),
        ({"watch": "counter"}, r"watch=\['counter'\]"),
        ({"include": ["no_such_module_anywhere"]}, "no module named 'no_such_module_anywhere'"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_fix(kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises((ValueError, TypeError), match=message):
        races.explore(scenarios.single_line_counter, **kwargs)


def test_exploration_works_with_settrace_on_every_version() -> None:
    result = races.explore(scenarios.single_line_counter, strategy="dfs", tracing="settrace")
    assert result.kind is FailureKind.ASSERTION and result.preemptions == 1


def _lock_kept_by_a_thread_that_ended() -> None:
    lock = threading.Lock()

    def careless(fail: bool) -> None:
        lock.acquire()
        if fail:
            return  # the early way out forgets the lock
        lock.release()

    def careful() -> None:
        with lock:
            pass

    first = threading.Thread(target=careless, args=(True,), name="careless")
    second = threading.Thread(target=careful, name="careful")
    first.start()
    second.start()
    first.join()
    second.join()


def test_a_lock_kept_by_a_thread_that_ended_is_a_resource_leak() -> None:
    result = races.explore(_lock_kept_by_a_thread_that_ended, strategy="dpor")
    assert result.failure is not None and result.failure.pattern == "resource leak"
    assert result.failure.message.startswith("stuck: careless ended holding lock (Lock)")
    report = result.render()
    assert "taken at" in report and "lock.acquire()" in report
    assert "careful waits in Lock.acquire" in report


def _pool_with_workers_that_quit(jobs: list[str]) -> list[str]:
    tasks: queue.Queue[str] = queue.Queue()
    results: queue.Queue[str] = queue.Queue()

    def worker() -> None:
        job = tasks.get()
        results.put(job.upper())  # and quits: one job per worker

    for job in jobs:
        tasks.put(job)
    pool = [threading.Thread(target=worker, name=f"w{i}") for i in range(2)]
    for thread in pool:
        thread.start()
    done = [results.get() for _ in jobs]
    for thread in pool:
        thread.join()
    return done


def test_work_left_in_a_queue_whose_workers_ended_is_a_resource_leak() -> None:
    result = races.explore(lambda: _pool_with_workers_that_quit(["a", "b", "c"]), strategy="dpor")
    assert result.failure is not None and result.failure.pattern == "resource leak"
    assert "w0 and w1 have ended" in result.failure.message
    assert "`tasks` (Queue) still holds 1 item ('c')" in result.render()


def test_a_stuck_run_with_no_work_left_is_not_called_a_leak() -> None:
    def scenario() -> None:
        results: queue.Queue[str] = queue.Queue()
        worker = threading.Thread(target=lambda: None)
        worker.start()
        worker.join()
        results.get()  # nobody puts: a missed signal, not a leak

    result = races.explore(scenario, strategy="dpor")
    assert result.failure is not None and result.failure.pattern == "missed signal"
    # And a pool with as many workers as jobs finishes.
    assert (
        races.explore(lambda: _pool_with_workers_that_quit(["a", "b"]), strategy="dpor").failure
        is None
    )
