"""``races.core.focus.Focus``: which code locations a sampling search learns to skip."""

from __future__ import annotations

from races.core.focus import Focus
from races.vocabulary.access import OPAQUE_STEP, Access, Kind, Location, Sync
from races.vocabulary.kinds import StepKind
from races.vocabulary.outcome import Outcome


def _code(name: str) -> object:
    return compile(f"{name} = 1", name, "exec")  # equal code objects are one key


SHARED, MINE, THEIRS, READ_BY_BOTH = (_code(n) for n in ("shared", "mine", "theirs", "both"))


def _touch(unit: int, code: object, owner: int, kind: Kind) -> tuple[object, ...]:
    return (unit, 1, Access(Location(owner, "x"), kind), (code, 10))


def _outcome(*events: tuple[object, ...], switch_points: tuple[object, ...] = ()) -> Outcome:
    trace = [(0, StepKind.INSTRUCTION, code, 20) for code in switch_points]
    return Outcome(None, len(trace), [], trace, ["a", "b"], events=list(events))


def test_a_location_is_loud_where_two_threads_touch_one_place_and_one_writes() -> None:
    focus = Focus(min_steps=0)
    focus.learn(
        _outcome(
            _touch(0, SHARED, 1, Kind.READ),
            _touch(1, SHARED, 1, Kind.WRITE),
            _touch(0, MINE, 2, Kind.WRITE),  # only thread 0 ever touches object 2
            _touch(1, THEIRS, 3, Kind.UPDATE),
            _touch(0, READ_BY_BOTH, 4, Kind.READ),
            _touch(1, READ_BY_BOTH, 4, Kind.ITERATE),  # reads never conflict
            switch_points=(MINE,),
        )
    )
    assert not focus.quiet(SHARED, 10)  # type: ignore[arg-type]
    assert focus.quiet(MINE, 10) and focus.quiet(MINE, 20)  # type: ignore[arg-type]
    assert focus.quiet(THEIRS, 10) and focus.quiet(READ_BY_BOTH, 10)  # type: ignore[arg-type]
    assert not focus.quiet(MINE, 30)  # type: ignore[arg-type]  # never seen: not skipped


def test_a_step_races_cannot_see_into_is_loud_where_two_threads_make_it() -> None:
    focus = Focus(min_steps=0)
    focus.learn(_outcome((0, 1, OPAQUE_STEP, (SHARED, 10)), (1, 2, OPAQUE_STEP, (SHARED, 10))))
    focus.learn(_outcome((0, 1, OPAQUE_STEP, (MINE, 10))))
    assert not focus.quiet(SHARED, 10) and focus.quiet(MINE, 10)  # type: ignore[arg-type]


def test_loud_stays_loud_and_each_run_keeps_the_snapshot_it_used() -> None:
    focus = Focus(min_steps=0)
    focus.learn(_outcome(_touch(0, SHARED, 1, Kind.WRITE)))
    first = focus.snapshot
    assert focus.quiet(SHARED, 10)  # type: ignore[arg-type]
    focus.learn(_outcome(_touch(0, SHARED, 5, Kind.READ), _touch(1, SHARED, 5, Kind.WRITE)))
    assert not focus.quiet(SHARED, 10)  # type: ignore[arg-type]
    assert id(SHARED) in first and first is not focus.snapshot  # replaced, not changed
    focus.learn(_outcome(_touch(0, SHARED, 6, Kind.WRITE)))  # nothing new: the same snapshot
    assert not focus.quiet(SHARED, 10)  # type: ignore[arg-type]
    kept = focus.snapshot
    focus.learn(_outcome(_touch(0, SHARED, 7, Kind.WRITE)))
    assert focus.snapshot is kept


def test_the_switch_point_before_a_synchronisation_is_loud() -> None:
    focus = Focus(min_steps=0)
    outcome = _outcome(
        (0, 1, Sync("acquire", 7), None),  # made at step 1: after the switch point at MINE
        _touch(0, THEIRS, 2, Kind.WRITE),
        switch_points=(SHARED, MINE),
    )
    focus.learn(outcome)
    assert not focus.quiet(MINE, 20)  # type: ignore[arg-type]
    assert focus.quiet(SHARED, 20) and focus.quiet(THEIRS, 10)  # type: ignore[arg-type]


def test_a_search_whose_first_run_is_small_keeps_every_switch_point() -> None:
    focus = Focus(min_steps=3)
    focus.learn(_outcome(_touch(0, MINE, 2, Kind.WRITE), switch_points=(MINE, MINE)))
    focus.learn(_outcome(_touch(0, MINE, 2, Kind.WRITE), switch_points=(MINE,) * 5))
    assert not focus.snapshot
