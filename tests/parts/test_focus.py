"""``races.core.focus.Focus``: which code locations a sampling search learns to skip."""

from __future__ import annotations

import dis
from typing import Any

from races.core.access import ACCESSES
from races.core.focus import Focus
from races.core.instructions import INSTRUCTIONS
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


MUTEX, OTHER_MUTEX, SENTINEL = 7, 8, 9


def _take(unit: int, lock: int, mutex: bool = True) -> tuple[object, ...]:
    return (unit, 1, Sync("acquire", lock, mutex=mutex), None)


def _give(unit: int, lock: int) -> tuple[object, ...]:
    return (unit, 1, Sync("release", lock), None)


def _learned(*events: tuple[object, ...]) -> Focus:
    """What one run of these events teaches a search that focuses from its first run."""
    focus = Focus(min_steps=0)
    focus.learn(_outcome(*events))
    return focus


def test_accesses_two_threads_make_under_one_mutex_are_quiet() -> None:
    focus = _learned(
        _take(0, MUTEX),
        _touch(0, SHARED, 1, Kind.WRITE),
        _give(0, MUTEX),
        _take(1, MUTEX),
        _touch(1, SHARED, 1, Kind.WRITE),
        _give(1, MUTEX),
    )
    # Whichever thread takes the mutex first, the two writes never meet: no switch point
    # between them can make another outcome than the one before or after the lock.
    assert focus.quiet(SHARED, 10)  # type: ignore[arg-type]


def test_accesses_under_different_mutexes_or_none_are_loud() -> None:
    apart = _learned(
        _take(0, MUTEX),
        _touch(0, SHARED, 1, Kind.WRITE),
        _give(0, MUTEX),
        _take(1, OTHER_MUTEX),
        _touch(1, SHARED, 1, Kind.READ),
        _give(1, OTHER_MUTEX),
    )
    assert not apart.quiet(SHARED, 10)  # type: ignore[arg-type]
    one_unlocked = _learned(
        _take(0, MUTEX),
        _touch(0, SHARED, 1, Kind.WRITE),
        _give(0, MUTEX),
        _touch(1, THEIRS, 1, Kind.READ),  # the same object, without the mutex
    )
    assert not one_unlocked.quiet(SHARED, 10) and not one_unlocked.quiet(THEIRS, 10)  # type: ignore[arg-type]


def test_accesses_a_thread_start_or_a_join_orders_are_quiet() -> None:
    focus = _learned(
        _touch(0, SHARED, 1, Kind.WRITE),  # before the thread exists
        (0, 1, Sync("start", 1), None),
        _touch(1, THEIRS, 1, Kind.WRITE),
        _give(1, SENTINEL),  # the thread's end...
        _take(0, SENTINEL, mutex=False),  # ...that a join waits for
        _touch(0, MINE, 1, Kind.READ),
    )
    assert focus.quiet(SHARED, 10) and focus.quiet(THEIRS, 10) and focus.quiet(MINE, 10)  # type: ignore[arg-type]


def test_the_order_a_mutex_was_taken_in_orders_nothing() -> None:
    # Thread 0 writes outside the mutex, then takes and gives it back; thread 1 takes it
    # after and reads. This run ordered the two; the next may take the mutex the other way.
    focus = _learned(
        _touch(0, SHARED, 1, Kind.WRITE),
        _take(0, MUTEX),
        _give(0, MUTEX),
        _take(1, MUTEX),
        _give(1, MUTEX),
        _touch(1, THEIRS, 1, Kind.READ),
    )
    assert not focus.quiet(SHARED, 10) and not focus.quiet(THEIRS, 10)  # type: ignore[arg-type]


def test_a_mutex_taken_back_inside_a_condition_wait_is_still_held() -> None:
    focus = _learned(
        _take(0, MUTEX),
        _give(0, MUTEX),  # `cond.wait()` gives the mutex back...
        _take(0, MUTEX, mutex=False),  # ...and takes it again (not the program's call)
        _touch(0, SHARED, 1, Kind.WRITE),
        _give(0, MUTEX),
        _take(1, MUTEX),
        _touch(1, SHARED, 1, Kind.READ),
        _give(1, MUTEX),
    )
    assert focus.quiet(SHARED, 10)  # type: ignore[arg-type]


def test_only_the_switch_point_before_taking_a_lock_is_loud_for_it() -> None:
    focus = Focus(min_steps=0)
    trace = [(0, StepKind.INSTRUCTION, code, 20) for code in (SHARED, MINE, THEIRS)]
    events = [
        (0, 1, Sync("acquire", MUTEX, mutex=True), None),  # after the switch point at MINE
        (0, 2, Sync("release", MUTEX), None),  # after the one at THEIRS
        (0, 0, Sync("start", 1), None),  # after the one at SHARED
    ]
    focus.learn(Outcome(None, len(trace), [], trace, ["a", "b"], events=events))  # type: ignore[arg-type]
    assert not focus.quiet(MINE, 20)  # type: ignore[arg-type]
    assert focus.quiet(THEIRS, 20) and focus.quiet(SHARED, 20)  # type: ignore[arg-type]


def _shape(box: Any, n: int) -> Any:
    if n:
        return [n, n]  # builds a list: a switch point that touches nothing races sees
    return box.items  # an access


def test_what_a_run_did_not_reach_in_code_it_ran_is_quiet() -> None:
    code = _shape.__code__
    ops = {i.opname: i.offset for i in dis.get_instructions(code)}
    build, load = ops["BUILD_LIST"], ops["LOAD_ATTR"]
    assert build in INSTRUCTIONS.switch_offsets(code) and load in ACCESSES.probes(code)
    first = ops["RESUME"] + 2
    focus = Focus(min_steps=0)
    focus.learn(Outcome(None, 0, [], [], ["a"], events=[]))  # type: ignore[arg-type]
    # A code object no run has switched in is new: nothing of it is quiet.
    assert not focus.quiet(code, build) and not focus.quiet(code, load)
    ran = [(0, StepKind.INSTRUCTION, code, first)]  # one step in it, no further
    focus.learn(Outcome(None, 1, [], ran, ["a"], events=[]))  # type: ignore[arg-type]
    # Neither the list nor the access ever ran: code that has run and touched nothing
    # shared there costs no switch point, and keeps no function traced.
    assert focus.quiet(code, build) and focus.quiet(code, load)


def test_an_access_a_run_reached_stays_loud_where_another_thread_writes() -> None:
    code = _shape.__code__
    load = next(i.offset for i in dis.get_instructions(code) if i.opname == "LOAD_ATTR")
    ran = [(0, StepKind.INSTRUCTION, code, load), (1, StepKind.INSTRUCTION, code, load)]
    touches = [
        (unit, step, Access(Location(7, "items"), Kind.WRITE), (code, load))
        for unit, step in ((0, 0), (1, 1))
    ]
    focus = Focus(min_steps=0)
    focus.learn(Outcome(None, 2, [], ran, ["a", "b"], events=touches))  # type: ignore[arg-type]
    assert not focus.quiet(code, load)


def test_a_mutex_another_thread_gives_back_is_no_longer_held() -> None:
    # A Lock may be released by a thread that did not take it: its taker holds it no more.
    focus = _learned(
        _take(0, MUTEX),
        _give(1, MUTEX),
        _touch(0, SHARED, 1, Kind.WRITE),
        _take(1, MUTEX),
        _touch(1, SHARED, 1, Kind.READ),
    )
    assert not focus.quiet(SHARED, 10)  # type: ignore[arg-type]
