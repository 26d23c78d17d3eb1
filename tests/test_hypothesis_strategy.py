"""``races.hypothesis.interleavings()``: inputs and an interleaving drawn by one ``@given``
test, shrunk together, and the failing pair replayed first from the example database.

Tested with Hypothesis' own helpers: ``find`` for the smallest failing pair, ``@given``
with ``derandomize=True`` for the report a failing test shows, and an
``InMemoryExampleDatabase`` for the replay."""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path

import pytest
from hypothesis import find, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import InMemoryExampleDatabase

import races
from races.hypothesis import Interleaving, interleavings
from tests import async_scenarios

pytest_plugins = ["pytester"]

balance = 0
LOCK = threading.Lock()


def deposit(amount: int) -> None:
    global balance
    balance += amount  # read, add, write: another deposit can come in between


def deposit_locked(amount: int) -> None:
    global balance
    with LOCK:
        balance += amount


def two_deposits(amount: int, deposit: object = deposit) -> None:
    """Two clerks deposit ``amount`` each into an account that starts empty."""
    global balance
    balance = 0
    clerks = [threading.Thread(target=deposit, args=(amount,)) for _ in range(2)]  # type: ignore[arg-type]
    for clerk in clerks:
        clerk.start()
    for clerk in clerks:
        clerk.join()
    assert balance == 2 * amount, f"balance is {balance}, not {2 * amount}"


def fails(pair: tuple[int, Interleaving]) -> bool:
    amount, schedule = pair
    try:
        schedule.run(functools.partial(two_deposits, amount))
    except races.RaceFailure:
        return True
    return False


QUICK = settings(derandomize=True, database=None, deadline=None)


def test_find_shrinks_the_input_and_the_interleaving_together() -> None:
    pairs = st.tuples(st.integers(1, 5), interleavings())
    amount, schedule = find(pairs, fails, settings=settings(QUICK, max_examples=1000))
    assert amount == 1  # every amount loses a deposit: the smallest is kept
    assert sum(1 for c in schedule.choices if c) <= 2  # a switch in, and one back at most
    assert not fails((amount, Interleaving()))  # the default order deposits both
    assert fails((amount, schedule))  # and the shrunk pair still fails, every time


def test_the_report_replays_with_races_replay_and_the_repr_replays_the_draw() -> None:
    failures: list[races.RaceFailure] = []

    @QUICK
    @given(amount=st.integers(1, 5), schedule=interleavings())
    def test_deposits_add_up(amount: int, schedule: Interleaving) -> None:
        try:
            schedule.run(functools.partial(two_deposits, amount))
        except races.RaceFailure as failure:
            failures.append(failure)
            raise

    with pytest.raises(races.RaceFailure) as caught:
        test_deposits_add_up()
    failure = caught.value
    report = str(failure)
    assert report.startswith("lost update in ")
    assert "AssertionError: balance is 1, not 2" in report
    assert "To replay: races.replay(" in report
    # The schedule the report prints replays the same run with races.replay.
    replayed = races.replay(functools.partial(two_deposits, 1), failure.result.schedule)
    assert replayed.failed and replayed.failure is not None
    assert replayed.failure.message == failure.result.failure.message  # type: ignore[union-attr]
    # Hypothesis prints the failing pair; the interleaving's repr, pasted, replays it.
    notes = "\n".join(getattr(failure, "__notes__", []))
    printed = re.search(r"schedule=(Interleaving\(.*?\)),", notes, re.S)
    assert printed is not None, notes
    pasted = eval(printed.group(1), {"Interleaving": Interleaving})
    assert fails((1, pasted))
    assert "amount=1" in notes


def test_the_database_replays_the_failing_pair_first() -> None:
    database = InMemoryExampleDatabase()
    tried: list[tuple[int, Interleaving]] = []

    @settings(database=database, deadline=None)
    @seed(0)  # under the settings: above them, @seed turns the database off
    @given(amount=st.integers(1, 5), schedule=interleavings())
    def test_deposits_add_up(amount: int, schedule: Interleaving) -> None:
        tried.append((amount, schedule))
        schedule.run(functools.partial(two_deposits, amount))

    with pytest.raises(races.RaceFailure):
        test_deposits_add_up()
    failing = tried[-1]  # the shrunk pair, run last to report it
    assert fails(failing)
    assert list(database.data.values()) != []
    tried.clear()
    with pytest.raises(races.RaceFailure):
        test_deposits_add_up()
    assert tried[0] == failing  # replayed before anything new is drawn


def test_a_locked_counter_never_fails() -> None:
    drawn: set[Interleaving] = set()

    @settings(QUICK, max_examples=60)
    @given(amount=st.integers(1, 5), schedule=interleavings())
    def test_locked_deposits_add_up(amount: int, schedule: Interleaving) -> None:
        drawn.add(schedule)
        result = schedule.run(functools.partial(two_deposits, amount, deposit_locked))
        assert not result.failed
        assert result.strategy == "hypothesis" and result.schedule is not None

    test_locked_deposits_add_up()
    assert len(drawn) > 10  # many interleavings were run, not one


def test_a_coroutine_scenario_runs_under_a_drawn_order_of_its_tasks() -> None:
    scenario = async_scenarios.lost_update_needs_reordering
    assert not Interleaving().run(scenario).failed  # FIFO order is safe

    def reorders(schedule: Interleaving) -> bool:
        try:
            schedule.run(scenario)
        except races.RaceFailure as failure:
            assert failure.result.granularity == "await"
            return True
        return False

    found = find(interleavings(), reorders, settings=QUICK)
    assert found.choices  # a departure from the default order


def test_an_interleaving_is_its_choices_without_trailing_defaults() -> None:
    # Decisions past the end keep the default: trailing zeros change nothing.
    assert Interleaving([0, 2, 0, 0]) == Interleaving((0, 2))
    assert hash(Interleaving([0, 2, 0])) == hash(Interleaving((0, 2)))
    assert repr(Interleaving([0, 2, 0])) == "Interleaving(choices=(0, 2))"
    assert Interleaving([0, 0]).choices == ()
    with pytest.raises(races.InvalidArgument, match="whole numbers from 0"):
        Interleaving([1, -1])


def test_a_passing_run_returns_its_result_with_the_schedule_that_replays_it() -> None:
    result = Interleaving([0, 1]).run(functools.partial(two_deposits, 2, deposit_locked))
    assert not result.failed and result.schedules == 1
    assert result.summary.endswith(": no failure")
    assert races.replay(functools.partial(two_deposits, 2, deposit_locked), result.schedule)


def test_a_gevent_scenario_is_refused_with_what_to_do_instead() -> None:
    with pytest.raises(races.InvalidArgument, match=r"runtime='gevent'"):
        Interleaving().run(functools.partial(two_deposits, 1), runtime="gevent")


def test_the_readme_example_fails_with_the_report_and_the_smallest_pair(
    pytester: pytest.Pytester,
) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    code = readme.split("# test_deposits.py\n", 1)[1].split("```", 1)[0]
    pytester.makepyfile(test_deposits=code)
    run = pytester.runpytest_subprocess("-p", "no:randomly", "--hypothesis-seed=0")
    run.assert_outcomes(failed=1)
    run.stdout.fnmatch_lines(
        [
            "*RaceFailure: lost update in *: AssertionError: balance is 1, not 2",
            "*Lost update: Thread-1 (deposit) read `balance` (test_deposits.py:*",
            "*To replay: races.replay(*, 'instruction@*')",
            "*Failing test case: test_deposits_add_up(",
            "*amount=1,  # or any other generated value",
            "*schedule=Interleaving([[]*]),",
        ]
    )
