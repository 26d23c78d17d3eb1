"""Exploring gevent scenarios: greenlet orders chosen by the strategies, in a patched child."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import races
from races import FailureKind
from races.runtimes.gevent import child as greenlet_child
from races.vocabulary.errors import RacesError, UncontrolledBlockingError

pytest.importorskip("gevent", reason="exploring greenlets needs gevent: pip install gevent")

from gevent import monkey

from tests import greenlet_scenarios as s


def children() -> set[int]:
    """Processes this one started that are still alive (Linux: /proc)."""
    path = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    return {int(pid) for pid in path.read_text().split()} if path.exists() else set()


@pytest.mark.parametrize("strategy", ["random", "pct", "dfs", "hypothesis"])
def test_every_strategy_finds_a_bug_that_needs_another_greenlet_order(strategy: str) -> None:
    result = races.explore(
        s.wakeups_in_spawn_order,
        strategy=strategy,
        granularity="greenlet",
        budget=200,
        database=None,
    )
    assert result.kind is FailureKind.ASSERTION
    assert result.schedule is not None and result.schedule.granularity == "greenlet"
    assert len(result.schedule.switches) == 1  # shrunk to the one departure from FIFO order


def test_gevents_own_order_shows_io_inside_a_read_modify_write() -> None:
    result = races.explore(s.lost_update, strategy="dfs", granularity="greenlet", watch=["views"])
    assert result.kind is FailureKind.ASSERTION
    assert result.found_after == 1
    assert "0 departures from FIFO order" in result.render()
    assert result.trace is not None
    assert result.trace.thread_names == ["main", "Greenlet-1", "Greenlet-2"]
    assert [step.values for step in result.trace][-1] == ("1",)


def test_timers_due_at_the_same_instant_fire_in_every_order() -> None:
    result = races.explore(s.equal_deadlines, strategy="dfs", granularity="greenlet")
    assert result.kind is FailureKind.ASSERTION
    assert "timers fired out of order" in str(result.failure.message if result.failure else "")


def test_replay_of_a_greenlet_schedule_is_identical() -> None:
    found = races.explore(s.wakeups_in_spawn_order, seed=3, granularity="greenlet")
    assert found.schedule is not None
    replays = [races.replay(s.wakeups_in_spawn_order, str(found.schedule)) for _ in range(3)]
    assert all(r.trace == found.trace and r.kind is FailureKind.ASSERTION for r in replays)
    fifo = races.replay(s.wakeups_in_spawn_order, f"greenlet@{found.schedule.python}: -")
    assert not fifo.failed


def test_data_arriving_on_a_socket_wakes_its_reader_in_every_order() -> None:
    result = races.explore(s.data_arrives_while_others_run, strategy="dfs", granularity="greenlet")
    assert not result.failed, result.render()
    assert result.schedules > 1


def test_dfs_over_greenlets_says_it_tried_every_order() -> None:
    result = races.explore(s.talks_over_a_socket, strategy="dfs", granularity="greenlet")
    assert not result.failed
    assert result.summary.startswith("no failure in all") and "greenlets" in result.summary


def test_a_greenlet_waiting_for_what_never_comes_is_stuck_at_its_wait_site() -> None:
    result = races.explore(s.waits_for_an_event_nobody_sets, granularity="greenlet", budget=5)
    assert result.kind is FailureKind.STUCK
    assert result.failure is not None
    assert "main waits at" in result.failure.message
    assert "`worker.join()`" in result.failure.report


def test_io_that_never_comes_is_stuck_once_the_watchdog_time_has_passed() -> None:
    result = races.explore(
        s.waits_for_a_message_nobody_sends, granularity="greenlet", budget=1, watchdog=0.5
    )
    assert result.kind is FailureKind.STUCK
    assert (
        result.failure is not None
        and "`gevent.spawn(right.recv, 5).join()`" in result.failure.report
    )


def test_what_the_greenlet_loop_does_not_model_is_named() -> None:
    result = races.explore(s.handles_a_signal, granularity="greenlet", budget=1)
    assert result.kind is FailureKind.EXCEPTION
    assert result.failure is not None
    assert "races does not model signal watchers" in result.failure.message


def test_an_exception_in_a_greenlet_fails_the_run() -> None:
    result = races.explore(s.crashes_in_a_greenlet, granularity="greenlet", budget=5)
    assert result.kind is FailureKind.THREAD_EXCEPTION
    assert isinstance(result.failure.exception if result.failure else None, ValueError)
    assert "Greenlet-1" in result.render()


def test_a_greenlet_alive_when_main_returns_has_lost_its_work() -> None:
    result = races.explore(s.forgets_a_greenlet, granularity="greenlet", budget=5)
    assert result.kind is FailureKind.LOST_WORK
    assert result.failure is not None and "Greenlet-1 still alive" in result.failure.message


def test_a_greenlet_that_yields_forever_hits_the_step_limit() -> None:
    result = races.explore(s.yields_forever, granularity="greenlet", budget=3, max_steps=200)
    assert result.kind is FailureKind.STEP_LIMIT


def test_a_greenlet_that_never_yields_is_reported_with_its_stack() -> None:
    before = children()
    with pytest.raises(UncontrolledBlockingError, match="without switching") as error:
        races.explore(s.never_yields, granularity="greenlet", budget=1, watchdog=0.5)
    assert "in busy" in str(error.value)  # the busy greenlet's own frame, at its loop
    assert children() <= before


def test_virtual_time_makes_a_long_sleep_instant_and_sockets_work() -> None:
    assert not races.explore(s.sleeps_an_hour, granularity="greenlet", budget=2).failed
    assert not races.explore(s.talks_over_a_socket, granularity="greenlet", budget=20).failed


def test_timeouts_idle_waits_and_real_threads_wake_greenlets() -> None:
    assert not races.explore(s.times_out_then_idles, granularity="greenlet", budget=5).failed
    assert not races.explore(s.waits_for_a_real_thread, granularity="greenlet", budget=3).failed


def test_the_scenario_runs_patched_and_the_caller_stays_unpatched() -> None:
    before = children()
    assert not races.explore(s.patched_in_the_child, granularity="greenlet", budget=1).failed
    assert not monkey.is_module_patched("time") and not monkey.is_module_patched("socket")
    assert children() <= before


def test_a_scenario_that_cannot_be_imported_by_name_is_a_clear_error() -> None:
    with pytest.raises(RacesError, match="define the scenario at the top level"):
        races.explore(lambda: None, granularity="greenlet")


def test_without_gevent_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(greenlet_child, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="pip install gevent"):
        races.explore(s.lost_update, granularity="greenlet")


def test_ctrl_c_while_exploring_kills_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    class Interrupted(real_popen):  # type: ignore[type-arg, misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

        def wait(self, timeout: float | None = None) -> int:
            if timeout is None and self.returncode is None and not getattr(self, "_hit", False):
                self._hit = True
                raise KeyboardInterrupt
            return super().wait(timeout)

    monkeypatch.setattr(greenlet_child.subprocess, "Popen", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        races.explore(s.never_yields, granularity="greenlet", watchdog=60)
    assert len(started) == 1 and started[0].returncode is not None


def test_a_broken_greenlet_schedule_is_refused_before_a_child_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[object] = []
    monkeypatch.setattr(greenlet_child, "run", lambda request: started.append(request))
    with pytest.raises(races.ScheduleError, match="3>x"):
        races.replay(s.lost_update, "greenlet@3.12: 3>x")
    assert started == []  # refused in the caller: no child was asked to run it
    from gevent import monkey

    assert not monkey.is_module_patched("threading")  # and the caller was never patched


def test_dpor_proves_greenlets_with_fewer_schedules_than_every_order() -> None:
    """Three greenlets, one critical section each under a gevent lock: six orders of the
    sections, which dpor runs without the 30 orders of every ready greenlet dfs runs."""
    proof = races.explore(s.locked_counter_3x1, granularity="greenlet", strategy="dpor")
    brute = races.explore(s.locked_counter_3x1, granularity="greenlet", strategy="dfs")
    assert proof.summary.startswith("proved"), proof.summary
    assert 6 <= proof.schedules < brute.schedules == 30


def test_dpor_reaches_the_one_order_of_greenlets_that_fails() -> None:
    for strategy in ("dpor", "dfs"):  # the search and brute force agree
        result = races.explore(
            s.locked_counter_3x1_never_backwards, granularity="greenlet", strategy=strategy
        )
        assert result.failed and result.kind is FailureKind.ASSERTION, (strategy, result.summary)
        assert "reverse order" in result.render()


def test_dpor_finds_a_lost_update_between_greenlets_and_names_it() -> None:
    result = races.explore(s.unlocked_pair, granularity="greenlet", strategy="dpor")
    assert result.failed and result.kind is FailureKind.ASSERTION
    assert result.failure is not None and result.failure.pattern == "lost update"
    assert "`total`" in result.render()


def test_detect_predicts_a_greenlet_race_from_one_run() -> None:
    """`races.detect(..., runtime="gevent")`: one run in the patched child, each greenlet as
    far as it goes, and the race its accesses predict, whether or not the run hit it."""
    result = races.detect(s.lost_update, runtime="gevent")
    assert result.strategy == "detect" and result.schedules == 1
    assert result.findings and result.findings[0].pattern == "lost update"
    assert result.failed and "lost update" in result.render()


def test_detect_of_a_fixed_greenlet_program_finds_nothing() -> None:
    from races.cases.greenlet_switch_race import fixed_no_switch, fixed_semaphore

    for fixed in (fixed_no_switch, fixed_semaphore):
        result = races.detect(fixed.scenario, runtime="gevent")
        assert not result.failed and result.findings == [], result.render()


def test_a_lock_kept_by_a_greenlet_that_ended_is_a_resource_leak() -> None:
    result = races.explore(s.lock_kept_by_a_greenlet_that_ended, granularity="greenlet")
    assert result.failure is not None and result.failure.pattern == "resource leak"
    assert result.failure.message.startswith("stuck: Greenlet-1 ended holding `lock` (Semaphore)")
    report = result.render()
    assert "taken at" in report and "lock.acquire()" in report
    assert "Greenlet-2 waits in Semaphore.acquire" in report


def test_greenlets_that_wait_for_each_others_locks_are_a_deadlock_cycle() -> None:
    result = races.explore(s.locks_taken_in_opposite_orders, granularity="greenlet")
    assert result.kind is FailureKind.DEADLOCK and result.failure is not None
    assert result.failure.pattern == "deadlock cycle"
    assert result.failure.cycle == (
        ("Greenlet-1", "waits for `second` (Lock)"),
        ("Greenlet-2", "waits for `first` (Lock)"),
    )


def test_the_main_greenlet_taking_its_own_lock_again_is_a_self_deadlock() -> None:
    # The main greenlet's `with` blocks release the lock as LoopExit unwinds them: the
    # report must be read before that, or the lock would look free.
    result = races.explore(s.lock_taken_twice, granularity="greenlet", budget=1)
    assert result.kind is FailureKind.DEADLOCK and result.failure is not None
    assert result.failure.pattern == "self-deadlock"
    assert "RLock" in result.render()


def test_work_left_in_a_queue_whose_greenlets_ended_is_a_resource_leak() -> None:
    result = races.explore(s.pool_with_workers_that_quit, granularity="greenlet", budget=5)
    assert result.failure is not None and result.failure.pattern == "resource leak"
    assert "`tasks` (Queue) still holds 1 item ('c')" in result.failure.message
    assert "Greenlet-1 and Greenlet-2 have ended" in result.failure.message
