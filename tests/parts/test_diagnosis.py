"""Why a run ended badly: cycles in the wait-for graph, and the words that report them.

Waiters are made up here; nothing waits for real. Sites point into this file, so the
report lines can quote real source.
"""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from races.core.diagnosis import (
    Waiter,
    deadlock,
    find_cycle,
    lost_exception,
    lost_work,
    self_deadlock,
    show_site,
    step_limit,
    stuck,
)
from races.vocabulary.kinds import FailureKind

deterministic = settings(derandomize=True, database=None, deadline=None, max_examples=300)

HERE = __file__


def here() -> tuple[str, int]:
    """The site of the line that calls this."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return (HERE, frame.f_back.f_lineno)


# ----------------------------------------------------------------- find_cycle


def test_a_graph_without_a_cycle_has_none() -> None:
    assert find_cycle({}) == []
    assert find_cycle({1: 2, 2: 3}) == []  # 3 waits for nothing


def test_a_node_that_waits_for_itself_is_a_cycle() -> None:
    assert find_cycle({"a": "a"}) == ["a"]


def test_a_cycle_starts_at_the_node_earliest_in_the_order() -> None:
    edges = {"a": "b", "b": "c", "c": "a"}
    assert find_cycle(edges, order=["c", "a", "b"]) == ["c", "a", "b"]
    assert find_cycle(edges, order=["b", "c", "a"]) == ["b", "c", "a"]


def test_nodes_missing_from_the_order_come_after_those_in_it() -> None:
    assert find_cycle({1: 2, 2: 3, 3: 1}, order=[3]) == [3, 1, 2]


def test_a_tail_leading_into_a_cycle_is_not_part_of_it() -> None:
    edges = {"t1": "t2", "t2": "x", "x": "y", "y": "x"}
    assert find_cycle(edges, order=["t1", "t2", "x", "y"]) == ["x", "y"]


def test_a_cycle_is_found_behind_nodes_that_lead_nowhere() -> None:
    assert find_cycle({0: 9, 1: 2, 2: 1}, order=[0, 1, 2]) == [1, 2]


def reaches_a_cycle(edges: dict[int, int]) -> bool:
    """Whether following edges from some node ever comes back to a node already seen."""
    for start in edges:
        seen = set()
        node = start
        while node in edges:
            if node in seen:
                return True
            seen.add(node)
            node = edges[node]
    return False


@deterministic
@given(st.dictionaries(st.integers(0, 7), st.integers(0, 9)), st.permutations(range(10)))
def test_find_cycle_returns_a_true_cycle_or_none_when_there_is_none(
    edges: dict[int, int], order: list[int]
) -> None:
    cycle = find_cycle(edges, order)
    if not reaches_a_cycle(edges):
        assert cycle == []
        return
    assert cycle, "a cycle exists but none was found"
    assert len(set(cycle)) == len(cycle), "a node repeats"
    for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        assert edges[a] == b
    assert cycle[0] == min(cycle, key=order.index)


# ----------------------------------------------------------------- waiters


def test_a_waiter_that_holds_nothing_is_one_line() -> None:
    site = here()
    waiter = Waiter("A", "Lock.acquire", site, waits_for="x (Lock)", holder=Waiter("B"))
    assert waiter.lines() == (
        f"  A waits in Lock.acquire for x (Lock) (held by B), at {HERE}:{site[1]}  `site = here()`"
    )


def test_a_waiter_that_holds_locks_lists_them_above_what_it_waits_for() -> None:
    acquired = here()
    waiter = Waiter(
        "A",
        "Lock.acquire",
        ("nowhere.py", 3),
        waits_for="y",
        holder=Waiter("B"),
        holds=[("x (Lock)", acquired), ("z (RLock)", None)],
    )
    assert waiter.lines().splitlines() == [
        "  A",
        f"    holds x (Lock) (acquired at {HERE}:{acquired[1]}  `acquired = here()`)",
        "    holds z (RLock) (acquired at an unknown place)",
        "    waits in Lock.acquire for y (held by B), at nowhere.py:3",
    ]


def test_a_joining_waiter_waits_for_the_holder_to_finish() -> None:
    waiter = Waiter("main", "Thread.join", ("app.py", 7), holder=Waiter("T1"), joining=True)
    assert waiter.lines() == "  main waits in Thread.join for T1 to finish, at app.py:7"


def test_a_waiter_for_itself_waits_for_a_wake_up_nobody_can_give() -> None:
    waiter = Waiter("T1", "Condition.wait", ("app.py", 9), waits_for="cond", for_itself=True)
    assert waiter.lines() == (
        "  T1 waits in Condition.wait for a notify/put/set that no running thread can make, "
        "at app.py:9"
    )


def test_a_waiter_without_a_site_says_where_else_it_is() -> None:
    assert Waiter("T2", place="its start (it never ran)").lines() == (
        "  T2 waits, at its start (it never ran)"
    )
    assert Waiter("T3").where() == "an unknown place"


def test_a_site_shows_its_source_line_only_when_asked_and_known() -> None:
    site = here()
    assert show_site(site) == f"{HERE}:{site[1]}  `site = here()`"
    assert show_site(site, source=False) == f"{HERE}:{site[1]}"
    assert show_site(("no/such/file.py", 1)) == "no/such/file.py:1"


# ----------------------------------------------------------------- failures


def two_waiters() -> tuple[Waiter, Waiter]:
    a = Waiter("A", "Lock.acquire", ("app.py", 10), waits_for="x")
    b = Waiter("B", "Lock.acquire", ("app.py", 20), waits_for="y")
    a.holder, b.holder = b, a
    a.holds, b.holds = [("y", ("app.py", 9))], [("x", ("app.py", 19))]
    return a, b


def test_a_deadlock_names_the_cycle_and_what_each_waits_for() -> None:
    a, b = two_waiters()
    failure = deadlock([a, b], "threads")
    assert failure.kind is FailureKind.DEADLOCK
    assert failure.message == (
        "deadlock: A -> B -> A: A waits for x held by B, which waits for y held by A"
    )


def test_a_deadlock_report_has_one_block_per_waiter() -> None:
    a, b = two_waiters()
    report = deadlock([a, b], "threads").report
    head, *lines = report.splitlines()
    assert head == "Deadlock: these threads wait for each other in a cycle:"
    # A block opens with its waiter's name, indented by two; the lines under it by four.
    assert [line.strip() for line in lines if not line.startswith("    ")] == ["A", "B"]
    assert report.endswith(a.lines() + "\n" + b.lines())


def test_a_deadlock_of_three_chains_its_waits() -> None:
    a, b, c = Waiter("A", waits_for="x"), Waiter("B", waits_for="y"), Waiter("C")
    a.holder, b.holder, c.holder = b, c, a
    assert deadlock([a, b, c], "tasks").message == (
        "deadlock: A -> B -> C -> A: A waits for x held by B, which waits for y held by C, "
        "which waits for A"
    )


def test_a_deadlock_with_an_unknown_holder_shows_a_question_mark() -> None:
    assert deadlock([Waiter("A", waits_for="x")], "threads").message == (
        "deadlock: A -> A: A waits for x held by ?"
    )


def test_a_self_deadlock_names_what_the_waiter_already_holds() -> None:
    waiter = Waiter("T1", "Lock.acquire", ("app.py", 4), waits_for="lock (Lock)")
    failure = self_deadlock(waiter, "use an RLock")
    assert failure.kind is FailureKind.DEADLOCK
    assert failure.message == "self-deadlock: T1 acquires lock (Lock), which it already holds"
    assert failure.report == f"Self-deadlock:\n{waiter.lines()}\nHint: use an RLock"


def test_stuck_names_the_first_waiter_without_its_source() -> None:
    site = here()
    first = Waiter("T1", "Queue.get", site)
    other = Waiter("T2", "Event.wait", ("app.py", 3))
    exc = TimeoutError()
    failure = stuck([other, first], first, "threads", note=" (timeout)", exc=exc)
    assert failure.kind is FailureKind.STUCK
    assert failure.message == (
        f"stuck: T1 waits in Queue.get at {HERE}:{site[1]} and nothing can wake it (timeout)"
    )
    assert failure.exception is exc
    assert failure.report.splitlines() == [
        "Stuck: every thread waits, and none of them can wake another:",
        other.lines(),
        first.lines(),
    ]


@pytest.mark.parametrize(("units", "unit"), [("tasks", "task"), ("greenlets", "greenlet")])
def test_stuck_speaks_of_the_kind_of_unit(units: str, unit: str) -> None:
    failure = stuck([Waiter("w")], Waiter("w"), units)
    assert failure.message == "stuck: w waits at an unknown place and nothing can wake it"
    assert failure.report.startswith(f"Stuck: every {unit} waits,")


def test_lost_work_names_and_shows_every_pending_unit() -> None:
    pending = [
        Waiter("T1", "Queue.get", ("app.py", 5)),
        Waiter("T2", place="save() never ran", started=False),
    ]
    failure = lost_work(
        pending, "running at exit", "asyncio.run() cancels it, and its work is lost"
    )
    assert failure.kind is FailureKind.LOST_WORK and failure.pattern == "lost work"
    # One unit's words made plural for two.
    assert failure.message == (
        "T1, T2 still running at exit: asyncio.run() cancels them, and their work is lost"
    )
    assert failure.report == (
        "  T1 was waiting in Queue.get, at app.py:5\n  T2 had not started: save() never ran"
    )


def test_lost_work_of_a_unit_that_waits_in_nothing_known() -> None:
    failure = lost_work([Waiter("T1", place="its start")], "pending", "lost", was="never ran")
    assert failure.report == "  T1 never ran at its start"


def test_a_lost_exception_names_the_unit_and_why_nobody_saw_it() -> None:
    exc = ValueError("boom")
    failure = lost_exception(exc, "Thread-2", "nobody joined it")
    assert failure.kind is FailureKind.THREAD_EXCEPTION
    assert failure.message == "ValueError: boom (in Thread-2; nobody joined it)"
    assert (failure.exception, failure.thread) == (exc, "Thread-2")


def test_a_lost_exception_without_a_message_is_named_by_its_type() -> None:
    assert lost_exception(KeyError(), "t", "why").message == "KeyError (in t; why)"


def test_the_step_limit_names_the_limit_and_its_causes() -> None:
    failure = step_limit(500, "task steps", " (a busy wait)")
    assert failure.kind is FailureKind.STEP_LIMIT
    assert failure.message == (
        "the scenario did not finish within max_steps=500 task steps; it may loop forever "
        "(a busy wait), or it needs a larger max_steps"
    )
    assert "max_steps=7 steps; it may loop forever, or" in step_limit(7).message
