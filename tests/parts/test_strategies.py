"""Search strategies, driven by made-up programs: no scenario, no threads.

A chooser is asked ``choose(step, enabled, current, at)`` at each decision of a run; a
strategy hands out one chooser per run. ``ModelProgram`` plays the part of a run: a few
threads, each with a fixed number of steps, and a decision wherever more than one of them
could take the next step.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.database import InMemoryExampleDatabase

from races import FailureKind
from races.core.strategies import registry
from races.core.strategies.base import (
    Chooser,
    DefaultChooser,
    Strategy,
    StrategyOptions,
    default_choice,
    ordered_options,
)
from races.core.strategies.dfs import DFSStrategy
from races.core.strategies.hypothesis import HypothesisStrategy, ListChooser
from races.core.strategies.pct import PCTChooser, PCTStrategy
from races.core.strategies.random import RandomChooser, RandomStrategy
from races.core.strategies.replay import ANY_OTHER, PositionReplayChooser, ReplayChooser
from races.vocabulary.errors import InvalidArgument, ScheduleDivergedError
from races.vocabulary.outcome import Decision, Failure, Outcome

deterministic = settings(derandomize=True, database=None, deadline=None)

Run = tuple[int, ...]  # the thread that took each step, in order

# ----------------------------------------------------------------- a model of runs


class ModelProgram:
    """Threads with ``lengths[t]`` steps each. Before every step where more than one
    thread can go on, the chooser decides; the running thread can go on until its steps
    are spent. Records the order in which the threads ran, run after run."""

    def __init__(self, *lengths: int, fails: set[Run] | None = None) -> None:
        self.lengths = lengths
        self.fails = fails or set()
        self.runs: list[Run] = []

    def run(self, chooser: Chooser) -> Outcome:
        left = list(self.lengths)
        taken = [0] * len(left)
        order: list[int] = []
        decisions: list[Decision] = []
        current: int | None = None
        while any(left):
            enabled = [t for t, n in enumerate(left) if n]
            running = current if current is not None and left[current] else None
            if len(enabled) > 1:
                step = len(order) + 1
                at = (order[-1], taken[order[-1]]) if order else (0, 0)
                chosen = chooser.choose(step, enabled, running, at)
                assert chosen in enabled
                default = default_choice(enabled, running)
                preempts = running is not None and chosen != running
                decisions.append(Decision(step, chosen, default, preempts, at))
            else:
                chosen = enabled[0]
            left[chosen] -= 1
            taken[chosen] += 1
            order.append(chosen)
            current = chosen
        run = tuple(order)
        self.runs.append(run)
        failure = Failure(FailureKind.ASSERTION, "bad order") if run in self.fails else None
        names = [f"t{i}" for i in range(len(self.lengths))]
        return Outcome(failure, len(order), decisions, trace=[], thread_names=names)


def interleavings(lengths: Sequence[int], bound: int) -> Iterator[Run]:
    """Every order of the threads' steps with at most ``bound`` preemptions, by brute force."""

    def walk(left: list[int], current: int | None, spent: int) -> Iterator[Run]:
        if not any(left):
            yield ()
            return
        for t, n in enumerate(left):
            if not n:
                continue
            cost = int(current is not None and left[current] > 0 and t != current)
            if spent + cost > bound:
                continue
            left[t] -= 1
            for rest in walk(left, t, spent + cost):
                yield (t, *rest)
            left[t] += 1

    yield from walk(list(lengths), None, 0)


def every_run(strategy: Strategy, program: ModelProgram, limit: int = 10_000) -> list[Run]:
    """Run ``program`` with each chooser the strategy hands out, until it has none left."""
    for _ in range(limit):
        chooser = strategy.next_chooser()
        if chooser is None:
            return program.runs
        program.run(chooser)
    raise AssertionError(f"the strategy was still handing out choosers after {limit} runs")


def outcome(failed: bool = False, decisions: int = 1, steps: int = 10) -> Outcome:
    failure = Failure(FailureKind.ASSERTION, "boom") if failed else None
    made = [Decision(i, 0, 0, False) for i in range(1, decisions + 1)]
    return Outcome(failure, steps, made, trace=[], thread_names=["main"])


class Scripted(Strategy):
    """Hands out ``choosers`` choosers, then None."""

    name = "scripted"

    def __init__(self, choosers: int) -> None:
        self.left = choosers
        self.handed = 0

    def next_chooser(self) -> Chooser | None:
        if self.left == 0:
            return None
        self.left -= 1
        self.handed += 1
        return DefaultChooser()


def scripted_run(*outcomes: Outcome) -> Callable[[Chooser], Outcome]:
    """A ``run`` that returns ``outcomes`` one after the other, whatever the chooser."""
    results = iter(outcomes)
    return lambda chooser: next(results)


# ----------------------------------------------------------------- base


def test_the_default_choice_keeps_the_running_thread() -> None:
    assert default_choice([0, 1, 2], 2) == 2


def test_the_default_choice_without_a_running_thread_is_the_lowest_numbered() -> None:
    assert default_choice([1, 3], None) == 1


def test_ordered_options_put_the_running_thread_first_and_keep_the_rest_in_order() -> None:
    assert ordered_options([0, 1, 2, 3], 2) == [2, 0, 1, 3]
    assert ordered_options([1, 3], None) == [1, 3]


@deterministic
@given(st.sets(st.integers(0, 20), min_size=1), st.data())
def test_ordered_options_are_the_enabled_threads_with_the_default_first(
    threads: set[int], data: st.DataObject
) -> None:
    enabled = sorted(threads)
    current = data.draw(st.none() | st.sampled_from(enabled))
    options = ordered_options(enabled, current)
    assert sorted(options) == enabled
    assert options[0] == default_choice(enabled, current)


def test_a_search_stops_at_the_first_failing_run() -> None:
    strategy = Scripted(10)
    failing = outcome(failed=True)
    search = strategy.search(scripted_run(outcome(), outcome(), failing, outcome()), budget=10)
    assert search.failure is failing
    assert search.schedules == 3
    assert search.first_failure == 3
    assert not search.exhausted
    assert strategy.handed == 3


def test_a_search_is_exhausted_when_the_strategy_has_no_chooser_left() -> None:
    search = Scripted(2).search(scripted_run(outcome(), outcome()), budget=10)
    assert search.failure is None
    assert search.schedules == 2
    assert search.exhausted
    assert search.first_failure is None


def test_a_run_without_decisions_exhausts_the_search_at_once() -> None:
    strategy = Scripted(10)
    search = strategy.search(scripted_run(outcome(decisions=0)), budget=10)
    assert (search.failure, search.schedules, search.exhausted) == (None, 1, True)
    assert strategy.handed == 1


def test_a_search_stops_at_its_budget_and_says_whether_anything_was_left() -> None:
    more_left = Scripted(5).search(scripted_run(*[outcome()] * 3), budget=3)
    assert (more_left.schedules, more_left.exhausted) == (3, False)
    nothing_left = Scripted(3).search(scripted_run(*[outcome()] * 3), budget=3)
    assert (nothing_left.schedules, nothing_left.exhausted) == (3, True)


def test_a_search_with_no_budget_runs_nothing() -> None:
    def never(chooser: Chooser) -> Outcome:
        raise AssertionError("ran with a budget of 0")

    search = Scripted(1).search(never, budget=0)
    assert (search.failure, search.schedules, search.exhausted) == (None, 0, False)


# ----------------------------------------------------------------- random


def choices(chooser: Chooser, enabled: Sequence[int], n: int = 50) -> list[int]:
    return [chooser.choose(step, enabled, None, (0, step)) for step in range(1, n + 1)]


def test_the_same_random_seed_makes_the_same_choices() -> None:
    first, second = RandomStrategy(7), RandomStrategy(7)
    for _ in range(5):
        a, b = first.next_chooser(), second.next_chooser()
        assert choices(a, [0, 1, 2, 5]) == choices(b, [0, 1, 2, 5])


def test_different_random_seeds_make_different_choices() -> None:
    a, b = RandomStrategy(0).next_chooser(), RandomStrategy(1).next_chooser()
    assert choices(a, [0, 1, 2]) != choices(b, [0, 1, 2])


def test_successive_random_choosers_differ() -> None:
    strategy = RandomStrategy(3)
    assert choices(strategy.next_chooser(), [0, 1]) != choices(strategy.next_chooser(), [0, 1])


def test_a_random_chooser_reaches_every_enabled_thread() -> None:
    assert set(choices(RandomChooser(11), [1, 4, 6], n=200)) == {1, 4, 6}


@deterministic
@given(st.integers(0, 2**64 - 1), st.lists(st.sets(st.integers(0, 9), min_size=1), max_size=30))
def test_a_random_chooser_only_picks_enabled_threads(seed: int, steps: list[set[int]]) -> None:
    chooser = RandomChooser(seed)
    for step, enabled in enumerate(steps, start=1):
        assert chooser.choose(step, sorted(enabled), None, (0, step)) in enabled


# ----------------------------------------------------------------- pct


def run_pct(chooser: Chooser, threads: int, steps: int) -> list[int]:
    """All ``threads`` can run at every step; the one chosen is the running one.

    The first decision is numbered 0, where no change point falls (they are drawn from
    step 1 on): it picks the thread that starts, so each change point meets a running
    thread to take the processor from."""
    enabled = list(range(threads))
    current: int | None = None
    picked = []
    for step in range(steps + 1):
        current = chooser.choose(step, enabled, current, (current or 0, step))
        picked.append(current)
    return picked


def switches(picked: Sequence[int]) -> list[int]:
    """The steps at which the chosen thread changed (``picked`` starts at step 0)."""
    return [i for i in range(1, len(picked)) if picked[i] != picked[i - 1]]


def test_pct_of_depth_one_keeps_the_highest_priority_thread_running() -> None:
    for seed in range(20):
        picked = run_pct(PCTStrategy(seed, depth=1).next_chooser(), threads=4, steps=300)
        assert switches(picked) == [], f"seed {seed}"


def test_pct_of_depth_one_returns_to_the_first_thread_once_it_can_run_again() -> None:
    chooser = PCTChooser(random.Random(5), depth=1, length=100)
    first = chooser.choose(1, [0, 1, 2], None, (0, 0))
    others = [t for t in (0, 1, 2) if t != first]
    second = chooser.choose(2, others, None, (first, 1))
    assert second in others
    assert chooser.choose(3, [0, 1, 2], second, (second, 1)) == first


@deterministic
@given(st.integers(0, 2**32), st.integers(1, 6), st.integers(0, 3), st.integers(1, 120))
def test_pct_switches_exactly_once_per_change_point_when_every_thread_can_run(
    seed: int, depth: int, extra_threads: int, length: int
) -> None:
    """With at least ``depth`` threads, each change point lowers the running thread below
    every thread still at its initial priority, so another one takes over."""
    strategy = PCTStrategy(seed, depth=depth)
    strategy._length = length  # what a search would have measured
    picked = run_pct(strategy.next_chooser(), threads=depth + extra_threads, steps=length + depth)
    assert len(switches(picked)) == depth - 1


def test_the_same_pct_seed_makes_the_same_choices() -> None:
    first, second = PCTStrategy(4, depth=3), PCTStrategy(4, depth=3)
    for _ in range(5):
        a, b = first.next_chooser(), second.next_chooser()
        assert run_pct(a, 3, 150) == run_pct(b, 3, 150)


@deterministic
@given(
    st.integers(0, 2**32),
    st.integers(1, 5),
    st.lists(st.tuples(st.sets(st.integers(0, 6), min_size=1), st.booleans()), max_size=60),
)
def test_pct_only_picks_enabled_threads(
    seed: int, depth: int, steps: list[tuple[set[int], bool]]
) -> None:
    chooser = PCTStrategy(seed, depth=depth).next_chooser()
    last: int | None = None
    for step, (threads, keep) in enumerate(steps, start=1):
        enabled = sorted(threads)
        current = last if keep and last in threads else None
        last = chooser.choose(step, enabled, current, (last or 0, step))
        assert last in threads


def test_pct_learns_the_length_of_runs_and_spreads_change_points_over_it() -> None:
    strategy = PCTStrategy(0, depth=2)
    before = [switches(run_pct(strategy.next_chooser(), 2, 2_000)) for _ in range(10)]
    assert all(len(s) == 1 and s[0] <= 100 for s in before)  # the first guess: 100 steps
    search: Callable[..., object] = strategy.search  # not annotated in races
    search(lambda chooser: outcome(steps=2_000), budget=1)
    after = [switches(run_pct(strategy.next_chooser(), 2, 2_000)) for _ in range(10)]
    assert all(len(s) == 1 for s in after)
    assert max(s[0] for s in after) > 100


def test_pct_refuses_a_depth_below_one() -> None:
    with pytest.raises(InvalidArgument, match="at least 1, not 0"):
        PCTStrategy(0, depth=0)


# ----------------------------------------------------------------- dfs


def test_dfs_enumerates_every_schedule_within_the_bound_exactly_once() -> None:
    program = ModelProgram(2, 2, 1)
    runs = every_run(DFSStrategy(preemption_bound=1), program)
    assert len(runs) == len(set(runs))
    assert set(runs) == set(interleavings((2, 2, 1), bound=1))


@deterministic
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3), st.integers(0, 3))
def test_dfs_enumerates_exactly_the_schedules_within_any_bound(
    lengths: list[int], bound: int
) -> None:
    program = ModelProgram(*lengths)
    runs = every_run(DFSStrategy(preemption_bound=bound), program)
    expected = list(interleavings(lengths, bound))
    assert len(runs) == len(expected)
    assert set(runs) == set(expected)


def test_dfs_tries_the_default_schedule_first() -> None:
    program = ModelProgram(2, 2)
    every_run(DFSStrategy(preemption_bound=2), program)
    assert program.runs[0] == (0, 0, 1, 1)


def test_dfs_with_no_preemptions_only_takes_free_choices() -> None:
    program = ModelProgram(3, 2, 2)
    strategy = DFSStrategy(preemption_bound=0)
    runs = []
    while (chooser := strategy.next_chooser()) is not None:
        runs.append(program.run(chooser))
    assert all(run.preemptions == 0 for run in runs)
    # Who starts, and who goes on when it ends: 3 * 2 orders of whole threads.
    assert sorted(program.runs) == sorted(interleavings((3, 2, 2), bound=0))
    assert len(program.runs) == 6


def test_dfs_has_no_chooser_left_once_exhausted() -> None:
    strategy = DFSStrategy(preemption_bound=1)
    every_run(strategy, ModelProgram(1, 1))
    assert strategy.next_chooser() is None
    assert strategy.next_chooser() is None


def test_a_dfs_search_reports_how_many_schedules_it_exhausted() -> None:
    strategy = DFSStrategy(preemption_bound=1)
    search = strategy.search(ModelProgram(2, 2).run, budget=1000)
    assert search.exhausted and search.failure is None
    assert search.schedules == len(list(interleavings((2, 2), 1)))
    assert strategy.describe_pass(search) == (
        f"no failure in all {search.schedules} schedules with at most 1 preemption"
    )


def test_a_dfs_search_finds_the_one_failing_order() -> None:
    program = ModelProgram(2, 2, fails={(0, 1, 0, 1)})
    search = DFSStrategy(preemption_bound=2).search(program.run, budget=1000)
    assert search.failure is not None
    assert program.runs[-1] == (0, 1, 0, 1)
    assert search.schedules == len(program.runs) == program.runs.index((0, 1, 0, 1)) + 1


def test_dfs_refuses_a_program_whose_choices_change_between_runs() -> None:
    strategy = DFSStrategy()
    first = strategy.next_chooser()
    assert first is not None
    first.choose(1, [0, 1], 0, (0, 1))
    first.choose(2, [0, 1], 0, (0, 2))
    again = strategy.next_chooser()
    assert again is not None
    again.choose(1, [0, 1], 0, (0, 1))
    with pytest.raises(ScheduleDivergedError, match=r"not deterministic: at step 2 .* \[0, 1, 2\]"):
        again.choose(2, [0, 1, 2], 0, (0, 2))


def test_dfs_refuses_a_negative_preemption_bound() -> None:
    with pytest.raises(InvalidArgument, match="0 or more, not -1"):
        DFSStrategy(preemption_bound=-1)


# ----------------------------------------------------------------- hypothesis


def test_a_list_chooser_maps_each_entry_to_an_option_default_first() -> None:
    chooser = ListChooser([0, 1, 2])
    assert [chooser.choose(s, [0, 1, 2], 1, (1, s)) for s in (1, 2, 3)] == [1, 0, 2]


def test_a_list_chooser_wraps_entries_past_the_number_of_options() -> None:
    chooser = ListChooser([3, 4, 7])
    assert [chooser.choose(s, [0, 1, 2], 1, (1, s)) for s in (1, 2, 3)] == [1, 0, 0]


def test_a_list_chooser_takes_the_default_past_the_end_of_its_list() -> None:
    chooser = ListChooser([2])
    assert chooser.choose(1, [0, 1, 2], None, (0, 1)) == 2
    assert chooser.choose(2, [0, 1, 2], 1, (2, 1)) == 1
    assert chooser.choose(3, [0, 2], None, (2, 2)) == 0


def test_the_hypothesis_strategy_shrinks_to_the_one_switch_that_fails() -> None:
    program = ModelProgram(4, 3, fails=set())
    program.fails = {run for run in interleavings((4, 3), 7) if run[:3] == (0, 0, 1)}
    strategy = HypothesisStrategy(0, database=None)
    search = strategy.search(program.run, budget=300)
    assert search.failure is not None
    assert search.failure.deviations() == ((3, 1),)
    assert search.first_failure is not None and search.first_failure <= search.schedules


def test_the_hypothesis_strategy_replays_a_stored_failure_first() -> None:
    database = InMemoryExampleDatabase()
    database.save(b"key", bytes([0, 0, 1]))
    program = ModelProgram(4, 3, fails={(0, 0, 1, 1, 1, 0, 0)})
    strategy = HypothesisStrategy(0, database_key=b"key", database=database)
    search = strategy.search(program.run, budget=300)
    assert (search.schedules, search.first_failure) == (1, 1)
    assert program.runs == [(0, 0, 1, 1, 1, 0, 0)]


def test_the_hypothesis_strategy_forgets_a_stored_failure_that_passes() -> None:
    database = InMemoryExampleDatabase()
    database.save(b"key", bytes([0, 0, 1]))
    strategy = HypothesisStrategy(0, database_key=b"key", database=database)
    search = strategy.search(ModelProgram(2, 2).run, budget=5)
    assert search.failure is None
    assert list(database.fetch(b"key")) == []


# ----------------------------------------------------------------- replay


def test_a_replay_switches_where_told_and_takes_the_default_elsewhere() -> None:
    chooser = ReplayChooser([(2, 1), (4, 0)], strict=True)
    picked = [chooser.choose(s, [0, 1], 0 if s != 3 else 1, (0, s)) for s in (1, 2, 3, 4)]
    assert picked == [0, 1, 1, 0]
    assert chooser.unused() == []


def test_a_strict_replay_refuses_a_switch_to_a_thread_that_cannot_run() -> None:
    chooser = ReplayChooser([(3, 2)], strict=True)
    with pytest.raises(
        ScheduleDivergedError, match=r"thread 2 at step 3, but only threads \[0, 1\]"
    ):
        chooser.choose(3, [0, 1], 1, (1, 3))


def test_a_lenient_replay_drops_a_switch_to_a_thread_that_cannot_run() -> None:
    chooser = ReplayChooser([(3, 2), (5, 1)], strict=False)
    assert chooser.choose(3, [0, 1], 1, (1, 3)) == 1
    assert chooser.choose(5, [0, 1], 0, (0, 4)) == 1
    assert chooser.unused() == [(3, 2)]


def test_a_replay_lists_the_switches_it_never_reached_in_step_order() -> None:
    chooser = ReplayChooser([(9, 0), (2, 1), (6, 1)], strict=True)
    chooser.choose(2, [0, 1], 0, (0, 2))
    assert chooser.unused() == [(6, 1), (9, 0)]


def test_a_position_replay_switches_at_a_threads_own_step_count() -> None:
    chooser = PositionReplayChooser([((1, 3), 2)])
    assert chooser.choose(10, [0, 1, 2], 1, (1, 2)) == 1
    assert chooser.choose(11, [0, 1, 2], 1, (1, 3)) == 2
    assert chooser.choose(12, [0, 1, 2], 2, (0, 3)) == 2


def test_a_position_replay_to_a_thread_that_cannot_run_takes_the_default() -> None:
    chooser = PositionReplayChooser([((0, 1), 3)])
    assert chooser.choose(1, [0, 1, 2], None, (0, 1)) == 0


def test_any_other_is_the_lowest_numbered_thread_besides_the_default() -> None:
    chooser = PositionReplayChooser([((0, 1), ANY_OTHER), ((0, 2), ANY_OTHER)])
    assert chooser.choose(1, [0, 1, 2], 1, (0, 1)) == 0
    assert chooser.choose(2, [0, 1, 2], 0, (0, 2)) == 1


def test_any_other_with_no_other_thread_takes_the_default() -> None:
    chooser = PositionReplayChooser([((0, 1), ANY_OTHER)])
    assert chooser.choose(1, [2], None, (0, 1)) == 2


# ----------------------------------------------------------------- registry


def test_the_registry_names_the_built_in_strategies_first() -> None:
    assert registry.names()[:5] == ("random", "pct", "dfs", "dpor", "hypothesis")
    assert registry.strategy_class("dfs") is DFSStrategy


def test_an_unknown_strategy_is_refused_with_the_known_names() -> None:
    with pytest.raises(InvalidArgument) as caught:
        registry.strategy_class("bfs")
    assert str(caught.value) == (
        f"unknown strategy 'bfs'; choose one of {', '.join(registry.names())}"
    )
    assert "random, pct, dfs, dpor, hypothesis" in str(caught.value)


def test_make_strategy_builds_each_built_in_from_the_options() -> None:
    database = InMemoryExampleDatabase()
    options = StrategyOptions(
        seed=9, depth=5, preemption_bound=1, database_key=b"k", database=database
    )
    random_ = registry.make_strategy("random", options)
    pct = registry.make_strategy("pct", options)
    dfs = registry.make_strategy("dfs", options)
    hyp = registry.make_strategy("hypothesis", options)
    assert isinstance(random_, RandomStrategy) and random_.seed == 9
    assert isinstance(pct, PCTStrategy) and (pct.seed, pct.depth) == (9, 5)
    assert isinstance(dfs, DFSStrategy) and dfs.preemption_bound == 1
    assert isinstance(hyp, HypothesisStrategy)
    assert (hyp.seed, hyp.database_key, hyp.database) == (9, b"k", database)


def test_make_strategy_without_options_takes_the_defaults() -> None:
    pct = registry.make_strategy("pct")
    dfs = registry.make_strategy("dfs")
    assert isinstance(pct, PCTStrategy) and (pct.seed, pct.depth) == (0, 3)
    assert isinstance(dfs, DFSStrategy) and dfs.preemption_bound == 2


def test_every_registered_strategy_is_named_by_its_class() -> None:
    for name in ("random", "pct", "dfs", "dpor", "hypothesis"):
        assert registry.strategy_class(name).name == name
