"""Schedules as text: what parses, what prints, and what is refused with a reason.

No scenario runs here: a ``Schedule`` is plain data, and its text form is the contract
between a failing run and the replay that reproduces it.
"""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from races.vocabulary.errors import ScheduleError
from races.vocabulary.schedule import Schedule, current_python

GRANULARITIES = ("line", "instruction", "await", "greenlet")
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"

deterministic = settings(derandomize=True, database=None, deadline=None, max_examples=300)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """Any well-formed schedule: strictly increasing steps from 1, threads from 0."""
    granularity = draw(st.sampled_from(GRANULARITIES))
    python = f"3.{draw(st.integers(0, 40))}"
    steps = sorted(draw(st.sets(st.integers(1, 10**9), max_size=20)))
    threads = draw(st.lists(st.integers(0, 500), min_size=len(steps), max_size=len(steps)))
    return Schedule(granularity, tuple(zip(steps, threads, strict=True)), python)


# ----------------------------------------------------------------- round trips


@deterministic
@given(schedules())
def test_a_schedule_round_trips_through_its_text(schedule: Schedule) -> None:
    assert Schedule.parse(str(schedule)) == schedule


@deterministic
@given(schedules())
def test_parsing_the_printed_form_is_idempotent(schedule: Schedule) -> None:
    once = Schedule.parse(str(schedule))
    assert str(once) == str(schedule)
    assert Schedule.parse(str(once)) == once


def test_a_schedule_prints_its_granularity_version_and_switches() -> None:
    schedule = Schedule("instruction", ((7, 1), (15, 0)), "3.12")
    assert str(schedule) == "instruction@3.12: 7>1 15>0"
    assert schedule.threads == {0, 1}


def test_a_schedule_without_switches_prints_a_dash() -> None:
    assert str(Schedule("line", (), "3.11")) == "line@3.11: -"


@pytest.mark.parametrize("body", ["-", "", "   ", " - "])
def test_a_dash_or_empty_body_means_no_switches(body: str) -> None:
    schedule = Schedule.parse(f"await@3.12:{body}")
    assert schedule.switches == ()
    assert schedule.granularity == "await"
    assert schedule.python == "3.12"


def test_whitespace_around_the_parts_is_ignored() -> None:
    assert Schedule.parse("  greenlet@3.13 :  4>1   9>0  \n") == Schedule(
        "greenlet", ((4, 1), (9, 0)), "3.13"
    )


def test_parsing_a_schedule_object_returns_it_unchanged() -> None:
    schedule = Schedule("line", ((3, 2),), "3.12")
    assert Schedule.parse(schedule) is schedule


# ----------------------------------------------------------------- the running Python


def test_a_schedule_without_a_version_is_for_the_running_python() -> None:
    assert current_python() == RUNNING
    parsed = Schedule.parse("line: 4>1")
    assert parsed.python == RUNNING
    assert parsed == Schedule("line", ((4, 1),))
    assert str(parsed) == f"line@{RUNNING}: 4>1"


def test_check_python_accepts_the_running_version() -> None:
    Schedule.parse(f"line@{RUNNING}: 4>1").check_python()
    Schedule.parse("line: 4>1").check_python()


def test_check_python_refuses_another_version_and_names_both() -> None:
    other = "3.10" if RUNNING != "3.10" else "3.9"
    with pytest.raises(ScheduleError) as caught:
        Schedule.parse(f"instruction@{other}: 7>1").check_python()
    message = str(caught.value)
    assert f"recorded on Python {other}" in message
    assert f"this is Python {RUNNING}" in message


# ----------------------------------------------------------------- refusals


def test_steps_must_increase() -> None:
    with pytest.raises(ScheduleError, match="steps must increase, but 5 follows 9"):
        Schedule.parse("line@3.12: 9>1 5>0")


def test_a_repeated_step_is_refused() -> None:
    with pytest.raises(ScheduleError, match="steps must increase, but 4 follows 4"):
        Schedule.parse("line@3.12: 4>1 4>0")


def test_step_zero_is_refused() -> None:
    with pytest.raises(ScheduleError, match="steps count from 1, not 0"):
        Schedule.parse("line@3.12: 0>1")


@pytest.mark.parametrize("token", ["7", "7>", ">1", "7>1>2", "x>1", "7->1", "-1>0", "7>-1", "-"])
def test_a_malformed_switch_is_refused_naming_the_token(token: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        Schedule.parse(f"line@3.12: 3>1 {token}")
    assert f"{token!r} is not '<step>><thread>'" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["", "4>1", "lines@3.12: 4>1", "line@3: 4>1", "line@3.12 4>1", "line@: 4>1", "thread: 1>0"],
)
def test_a_malformed_header_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        Schedule.parse(text)
    message = str(caught.value)
    assert f"malformed schedule {text!r}" in message
    assert "for example 'line@3.12: 4>1 9>0'" in message


def test_something_other_than_text_is_refused_naming_its_type() -> None:
    with pytest.raises(ScheduleError, match="not list"):
        Schedule.parse([(4, 1)])  # type: ignore[arg-type]


def test_an_unknown_granularity_is_refused_when_built() -> None:
    with pytest.raises(ScheduleError, match="not 'bytecode'"):
        Schedule("bytecode", ())


def test_a_schedule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Schedule.parse("nonsense")
