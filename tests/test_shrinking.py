"""Shrinking and confirming a failure: small, fast, and never lost.

The unit tests drive ``shrink`` and ``confirm`` with made-up runs (no scenario, no
threads); the others run real scenarios, some of them nondeterministic on purpose.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable

import pytest

import races
from races import FailureKind
from races.core.confirm import confirm
from races.core.minimize import Shrunk, shrink, size
from races.core.strategies.base import Chooser
from races.core.strategies.replay import PositionReplayChooser
from races.vocabulary.outcome import Decision, Failure, Outcome
from tests import scenarios

# ----------------------------------------------------------------- a model of runs

Switch = tuple[tuple[int, int], int]


class ModelProgram:
    """A made-up program: thread 0 runs alone, with a decision before each of its steps
    1..``length`` where threads 1 and 2 could run instead. It fails when every switch of
    ``needed`` is taken (or, with ``fails``, when that says so). Records every run."""

    def __init__(
        self,
        needed: set[Switch],
        length: int = 60,
        fails: Callable[[int, set[Switch]], bool] | None = None,
    ) -> None:
        self.needed = needed
        self.length = length
        self.fails = fails or (lambda run, taken: self.needed <= taken)
        self.runs: list[tuple[Switch, ...]] = []

    def run(self, chooser: Chooser) -> Outcome:
        decisions = []
        for step in range(1, self.length + 1):
            at = (0, step)
            chosen = chooser.choose(step, [0, 1, 2], 0, at)
            decisions.append(Decision(step, chosen, 0, chosen != 0, at))
        taken = {(d.at, d.chosen) for d in decisions if d.chosen != 0}
        self.runs.append(tuple(sorted(taken)))
        failed = self.fails(len(self.runs), taken)
        failure = Failure(FailureKind.ASSERTION, "lost update") if failed else None
        return Outcome(failure, self.length, decisions, trace=[], thread_names=["t0"])

    def found(self, switches: set[Switch]) -> Outcome:
        """The run that takes ``switches``, as a search would have found it."""
        outcome = self.run(PositionReplayChooser(switches))
        self.runs.clear()
        return outcome


def test_shrinking_finds_the_one_switch_that_matters_in_logarithmic_runs() -> None:
    program = ModelProgram({((0, 50), 2)})
    found = program.found({((0, i), 1) for i in range(1, 50)} | program.needed)
    shrunk = shrink(program.run, found)
    assert set(shrunk.best.local_deviations()) == program.needed
    assert shrunk.stopped is None
    assert shrunk.replays <= 2 * 6 + 4  # two bisections of 50 switches, and a few more


def test_shrinking_keeps_exactly_the_switches_that_matter() -> None:
    needed = {((0, 50), 2), ((0, 7), 1)}
    program = ModelProgram(needed)
    found = program.found({((0, i), 2) for i in range(10, 40)} | needed)
    shrunk = shrink(program.run, found)
    assert set(shrunk.best.local_deviations()) == needed
    assert shrunk.stopped is None


def test_shrinking_never_runs_the_same_candidate_twice() -> None:
    program = ModelProgram({((0, 30), 2)})
    shrink(program.run, program.found({((0, i), 1) for i in range(1, 30)} | {((0, 30), 2)}))
    assert len(program.runs) == len(set(program.runs))


def test_shrinking_never_returns_a_larger_or_passing_run() -> None:
    program = ModelProgram({((0, 3), 2), ((0, 9), 1)})
    found = program.found({((0, i), 1) for i in range(1, 12)} | program.needed)
    shrunk = shrink(program.run, found)
    assert shrunk.best.failed
    assert all(outcome.failed for outcome in shrunk.accepted)
    assert all(size(b) < size(a) for a, b in itertools.pairwise(shrunk.accepted))


def test_shrinking_stops_at_its_time_budget_and_keeps_the_best_so_far() -> None:
    ticks = itertools.count()  # every look at the clock: one more second
    program = ModelProgram({((0, 50), 2)})
    found = program.found({((0, i), 1) for i in range(1, 40)} | {((0, 50), 2)})
    shrunk = shrink(program.run, found, seconds=6, clock=lambda: float(next(ticks)))
    assert shrunk.stopped == "time"
    assert shrunk.best.failed
    assert len(program.runs) < 6


def test_confirming_keeps_the_last_candidate_that_replays() -> None:
    """The smallest candidate does not fail again when replayed; the one before it does."""
    program = ModelProgram({((0, 5), 2)})
    original = program.found({((0, 1), 1), ((0, 5), 2), ((0, 9), 1)})
    smaller = program.found({((0, 5), 2), ((0, 9), 1)})
    smallest = program.found({((0, 5), 2)})
    program.fails = lambda run, taken: taken != {((0, 5), 2)} and ((0, 5), 2) in taken

    confirmed = confirm(program.run, "line", Shrunk(smallest, [original, smaller, smallest]))
    assert confirmed.reproducible
    assert confirmed.schedule.switches == smaller.deviations()


# ----------------------------------------------------------------- real scenarios

_runs = 0
_skip_run = 0
_failed_once = False
_diverged = False


def _counted_two_line_counter() -> None:
    """The two-line lost update, except that run number ``_skip_run`` passes."""
    global _runs
    _runs += 1
    if _runs == _skip_run:
        return
    scenarios.two_line_counter()


def test_a_shrunk_schedule_that_does_not_replay_falls_back_to_one_that_does() -> None:
    global _runs, _skip_run
    _runs, _skip_run = 0, 0
    first = races.explore(_counted_two_line_counter, seed=3, granularity="line")
    assert first.failed and first.shrink_replays > 0
    # The same exploration again, except that the replay confirming the smallest
    # candidate (its last run) does not fail.
    _runs, _skip_run = 0, _runs
    second = races.explore(_counted_two_line_counter, seed=3, granularity="line")
    assert second.kind is FailureKind.ASSERTION
    assert second.schedule != first.schedule
    _skip_run = 0
    assert races.replay(_counted_two_line_counter, second.schedule).failed


def _fails_only_once() -> None:
    """A lost update that happens once: the second time, something outside the schedule
    (here a flag, in real code a server's state or the clock) hides it."""
    global _failed_once
    scenarios.counter = 0
    scenarios._run_all(scenarios._increment_two_lines, scenarios._increment_two_lines)
    if scenarios.counter != 2 and not _failed_once:
        _failed_once = True
        raise AssertionError(f"lost update: counter is {scenarios.counter}")


def test_a_failure_that_never_happens_again_is_reported_as_not_reproducible() -> None:
    global _failed_once
    _failed_once = False
    result = races.explore(_fails_only_once, seed=0, granularity="line")
    assert result.failed, "a failure found is never reported as a pass"
    assert result.kind is FailureKind.NOT_REPRODUCIBLE
    assert "lost update: counter is 1" in result.failure.message
    message = result.failure.message
    assert "it did not happen again when its schedule was replayed" in message
    # Where the replay parted from the failing run: the flag sent it past the `if`.
    assert "the failing run had MainThread `_failed_once = True`" in message
    assert "races does not control" in result.render()
    assert result.trace is not None and len(result.trace) > 0  # the run that failed


def _worker_steps_change() -> None:
    if _diverged:
        x = 1  # after the first failure, each worker takes one step more
        del x
    value = scenarios.counter
    scenarios.counter = value + 1


def _diverges_after_failing() -> None:
    """Fails once; after that each worker takes one step more, so no replay follows it."""
    global _diverged
    scenarios.counter = 0
    scenarios._run_all(_worker_steps_change, _worker_steps_change)
    if scenarios.counter != 2 and not _diverged:
        _diverged = True
        raise AssertionError("lost update")


def test_a_replay_that_parts_from_the_failing_run_names_the_step() -> None:
    global _diverged
    _diverged = False
    result = races.explore(_diverges_after_failing, seed=0, granularity="line")
    assert result.kind is FailureKind.NOT_REPRODUCIBLE
    assert "at step" in result.failure.message
    assert "test_shrinking.py" in result.failure.message


def sleepers(n: int) -> None:
    """N threads each sleep, then decrement a shared count (the decrements race)."""
    count = [n]

    def worker() -> None:
        time.sleep(0.001)
        value = count[0]
        count[0] = value - 1

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count[0] == 0, f"count is {count[0]}"


@pytest.mark.parametrize("threads", [10, 40])
def test_many_threads_shrink_to_one_preemption_in_few_replays(threads: int) -> None:
    result = races.explore(lambda: sleepers(threads), seed=0)
    assert result.kind is FailureKind.ASSERTION
    assert result.preemptions == 1
    assert result.shrink_stopped is None
    assert result.shrink_replays <= 40  # bisection: it does not grow with the thread count


def test_a_shrinking_budget_of_zero_reports_the_failure_as_found() -> None:
    result = races.explore(scenarios.two_line_counter, seed=1, shrink_time=0)
    assert result.kind is FailureKind.ASSERTION
    assert result.shrink_stopped == "time"
    assert "shrinking stopped at its 0 s budget" in result.summary
    assert races.replay(scenarios.two_line_counter, result.schedule).failed
