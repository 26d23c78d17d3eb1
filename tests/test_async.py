"""Exploring coroutine scenarios: task orders chosen by the strategies, on virtual time."""

from __future__ import annotations

import asyncio
import time

import pytest

import races
from races import FailureKind
from tests import async_scenarios as s


@pytest.mark.parametrize("strategy", ["random", "pct", "dfs", "dpor", "hypothesis"])
def test_every_strategy_finds_a_lost_update_that_needs_another_task_order(strategy: str) -> None:
    result = races.explore(
        s.lost_update_needs_reordering, strategy=strategy, budget=300, database=None
    )
    assert result.kind is FailureKind.ASSERTION
    assert str(result.schedule).startswith("await@")
    assert result.schedule is not None and len(result.schedule.switches) >= 1


def test_fifo_order_alone_shows_an_await_inside_a_read_modify_write() -> None:
    result = races.explore(s.lost_update, strategy="dfs")
    assert result.kind is FailureKind.ASSERTION
    assert result.found_after == 1  # asyncio's own order loses the update
    assert "0 departures from FIFO order" in result.render()


def test_replay_of_an_async_schedule_is_identical() -> None:
    found = races.explore(s.lost_update_needs_reordering, seed=1, watch=["hits"])
    replays = [
        races.replay(s.lost_update_needs_reordering, str(found.schedule), watch=["hits"])
        for _ in range(20)
    ]
    assert all(r.trace == found.trace for r in replays)
    assert any(step.values == ("1",) for step in found.trace)


def test_the_async_scheduler_is_deterministic_if_seeded() -> None:
    runs = [races.explore(s.lost_update_needs_reordering, seed=5) for _ in range(3)]
    assert len({str(r.schedule) for r in runs}) == 1


def test_an_asyncio_lock_order_deadlock_names_the_cycle() -> None:
    result = races.explore(s.lock_order_deadlock)
    assert result.kind is FailureKind.DEADLOCK
    assert result.failure.message.startswith("deadlock: Task-1 (ab) -> Task-2 (ba) -> Task-1 (ab)")
    report = result.failure.report
    assert "Task-1 (ab) waits in Lock.acquire (held by Task-2 (ba))" in report
    assert "async_scenarios.py" in report and "async with b:" in report


def test_queue_join_with_a_forgotten_task_done_is_stuck_at_its_await_site() -> None:
    result = races.explore(s.queue_join_forgotten)
    assert result.kind is FailureKind.STUCK
    assert result.failure.message.startswith("stuck: main waits in Queue.join at ")
    assert "Task-1 (worker) waits in Queue.get" in result.failure.report


def test_an_exception_nobody_retrieved_fails_the_run() -> None:
    result = races.explore(s.unretrieved_exception)
    assert result.kind is FailureKind.THREAD_EXCEPTION
    assert result.failure.message == (
        "ValueError: nobody saw this (in Task-1 (boom); never retrieved: nobody awaited the task)"
    )


def test_a_task_pending_when_main_returns_has_lost_its_work() -> None:
    result = races.explore(s.pending_at_exit)
    assert result.kind is FailureKind.LOST_WORK
    assert "Task-1 (slow) still pending when the main task returned" in result.failure.message


def test_virtual_time_makes_sleeps_and_timeouts_instant() -> None:
    before = time.perf_counter()
    result = races.explore(s.virtual_time, budget=20)
    assert not result.failed, result.render()
    assert time.perf_counter() - before < 10


def test_dfs_over_tasks_says_it_tried_every_order() -> None:
    async def two_independent_tasks() -> None:
        await asyncio.gather(asyncio.sleep(0), asyncio.sleep(0))

    result = races.explore(two_independent_tasks, strategy="dfs")
    assert not result.failed
    assert result.summary == f"no failure in all {result.schedules} orders of the ready tasks"


def test_exploring_from_inside_a_running_loop_is_a_clear_error() -> None:
    async def outer() -> None:
        races.explore(s.lost_update)

    with pytest.raises(races.NestedExplorationError, match="not from inside a running event loop"):
        asyncio.run(outer())


def test_a_thread_schedule_cannot_replay_a_coroutine() -> None:
    with pytest.raises(races.ScheduleError, match="is not one"):
        races.replay(s.lost_update, "line: 3>1")


def _serve(blocking: bool) -> None:
    """asyncio.run on a controlled thread: a handler that blocks the loop (or awaits), and
    a health check with a deadline."""

    async def handler() -> None:
        if blocking:
            time.sleep(0.5)
        else:
            await asyncio.sleep(0.5)

    async def ping() -> str:
        await asyncio.sleep(0.01)
        return "pong"

    async def main() -> None:
        task = asyncio.create_task(handler())
        try:
            answer = await asyncio.wait_for(ping(), timeout=0.1)
        except TimeoutError:
            answer = "late"
        await task
        assert answer == "pong", answer

    asyncio.run(main())


def test_a_blocking_call_on_the_loops_thread_is_named_as_the_cause() -> None:
    result = races.explore(lambda: _serve(blocking=True), strategy="dpor", granularity="line")
    assert result.failed and result.kind is FailureKind.ASSERTION
    assert result.failure is not None and result.failure.pattern == "blocked event loop"
    assert "time.sleep(0.5) held the loop for 0.5 s" in result.render()


def test_a_loop_that_awaits_is_not_blamed() -> None:
    result = races.explore(lambda: _serve(blocking=False), strategy="dpor", granularity="line")
    assert not result.failed, result.render()


async def _lock_kept_by_a_task_that_ended() -> None:
    lock = asyncio.Lock()

    async def careless() -> None:
        await lock.acquire()  # and returns without releasing it

    async def careful() -> None:
        async with lock:
            pass

    await asyncio.gather(careless(), careful())


def test_an_asyncio_lock_kept_by_a_task_that_ended_is_a_resource_leak() -> None:
    result = races.explore(_lock_kept_by_a_task_that_ended, strategy="dpor")
    assert result.failure is not None and result.failure.pattern == "resource leak"
    assert "(careless) ended holding an asyncio.Lock" in result.failure.message
    assert "(careful) waits in Lock.acquire for an asyncio.Lock" in result.render()
    # A cycle of two live tasks stays a deadlock.
    cycle = races.explore(s.lock_order_deadlock, strategy="dfs")
    assert cycle.failure is not None and cycle.failure.pattern == "deadlock cycle"


async def _pool_with_workers_that_quit() -> None:
    tasks: asyncio.Queue[str] = asyncio.Queue()
    results: asyncio.Queue[str] = asyncio.Queue()

    async def worker() -> None:
        job = await tasks.get()
        await results.put(job.upper())  # and quits: one job per worker

    jobs = ["a", "b", "c"]
    for job in jobs:
        tasks.put_nowait(job)
    pool = [asyncio.create_task(worker()) for _ in range(2)]
    done = [await results.get() for _ in jobs]
    await asyncio.gather(*pool)
    assert sorted(done) == ["A", "B", "C"]


def test_work_left_in_a_queue_whose_tasks_ended_is_a_resource_leak() -> None:
    result = races.explore(_pool_with_workers_that_quit, strategy="dpor")
    assert result.failure is not None and result.failure.pattern == "resource leak"
    assert "`tasks` (Queue) still holds 1 item ('c')" in result.failure.message
    assert "Task-1 (worker) and Task-2 (worker) have ended" in result.failure.message
    # A consumer still waiting is not work lost: the queue is empty, the run is stuck.
    stuck = races.explore(s.queue_join_forgotten, strategy="dfs")
    assert stuck.failure is not None and stuck.failure.pattern != "resource leak"
