"""``dpor`` split between worker processes (``workers=N``): the same verdict as one
process, the same number of runs on the counter programs, and no process left behind."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Hashable
from pathlib import Path

import pytest
from hypothesis import given

import races
from races.core import parallel
from races.vocabulary.errors import InvalidArgument
from tests.test_dpor import (
    SOUNDNESS,
    Op,
    _brute_force,
    _program_scenario,
    counter_scenario,
    programs,
)


@pytest.mark.parametrize(("threads", "sections"), [(2, 2), (3, 2), (4, 1)])
def test_two_workers_run_one_schedule_per_trace_as_one_does(threads: int, sections: int) -> None:
    traces = math.factorial(threads * sections) // math.factorial(sections) ** threads
    scenario = counter_scenario(threads, sections)
    alone = races.explore(scenario, strategy="dpor")
    split = races.explore(scenario, strategy="dpor", workers=2)
    assert alone.schedules == split.schedules == traces
    assert split.summary == alone.summary
    assert split.summary.startswith("proved")


class _Finals:
    """Final states written to a file: the runs happen in the worker processes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, state: Hashable) -> None:
        with open(self.path, "a") as file:
            file.write(repr(state) + "\n")

    def read(self) -> set[str]:
        return set(self.path.read_text().splitlines()) if self.path.exists() else set()


@SOUNDNESS
@given(programs)
def test_two_workers_reach_exactly_the_states_of_every_interleaving(
    tmp_path_factory: pytest.TempPathFactory, program: list[list[Op]]
) -> None:
    finals = _Finals(tmp_path_factory.mktemp("finals") / "finals.txt")
    scenario = _program_scenario(program, finals)  # type: ignore[arg-type]
    result = races.explore(scenario, strategy="dpor", workers=2, detect=False)
    assert not result.failed and result.summary.startswith("proved")
    assert finals.read() == {repr(state) for state in _brute_force(program)}


def test_a_failure_found_by_a_worker_is_reported_and_replays() -> None:
    result = races.explore(counter_scenario(2, 2, locked=False), strategy="dpor", workers=2)
    assert result.failed and result.kind is races.FailureKind.ASSERTION
    replayed = races.replay(counter_scenario(2, 2, locked=False), result.schedule)
    assert replayed.failed and replayed.kind is races.FailureKind.ASSERTION


def opposite_orders() -> None:
    """Two threads take two locks in opposite orders, one after the other: no run of the
    default order deadlocks, but the lock-order graph has a cycle."""
    a, b = threading.Lock(), threading.Lock()

    def ab() -> None:
        with a, b:
            pass

    def ba() -> None:
        with b, a:
            pass

    first = threading.Thread(target=ab)
    first.start()
    first.join()
    second = threading.Thread(target=ba)
    second.start()
    second.join()


def test_what_a_workers_run_predicts_is_reported_as_by_one_process() -> None:
    alone = races.explore(opposite_orders, strategy="dpor")
    split = races.explore(opposite_orders, strategy="dpor", workers=2)
    assert alone.failed and split.failed
    assert split.failure is not None and alone.failure is not None
    assert split.failure.pattern == alone.failure.pattern == "lock-order inversion"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and status.read_text().split()[2] != "Z"


def test_no_worker_outlives_the_search_even_when_it_is_interrupted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[int] = []
    real_init = parallel.Workers.__init__

    def init(self: parallel.Workers, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        started.extend(self.pids)

    monkeypatch.setattr(parallel.Workers, "__init__", init)
    races.explore(counter_scenario(2, 2), strategy="dpor", workers=2)
    assert len(started) == 2 and not any(_alive(pid) for pid in started)

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    started.clear()
    monkeypatch.setattr(parallel.ParallelSearch, "_merge", interrupted)
    with pytest.raises((KeyboardInterrupt, races.Interrupted)):
        races.explore(counter_scenario(3, 2), strategy="dpor", workers=2)
    assert len(started) == 2 and not any(_alive(pid) for pid in started)


def test_workers_are_for_dpor_and_at_least_one() -> None:
    with pytest.raises(InvalidArgument, match="workers must be at least 1, not 0"):
        races.explore(counter_scenario(2, 1), strategy="dpor", workers=0)
    with pytest.raises(InvalidArgument, match="splits the search tree of strategy='dpor'"):
        races.explore(counter_scenario(2, 1), strategy="random", workers=2)
