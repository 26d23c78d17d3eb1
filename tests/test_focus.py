"""A sampling search skips what its runs saw not matter, and still reports and replays
in every step (``races.core.focus``)."""

from __future__ import annotations

import threading

import races
from races import FailureKind
from races.core.focus import Focus
from races.core.strategies.base import DefaultChooser
from races.runtimes.threads.session import Session


class Account:
    def __init__(self) -> None:
        self.balance = 0


def _deposit(account: Account) -> None:
    # Work on objects of the thread's own: nothing another thread ever sees.
    ledger = [{"line": n, "text": f"entry {n}"} for n in range(200)]
    total = sum(len(entry["text"]) for entry in ledger)
    assert total > 0
    balance = account.balance  # the shared read...
    account.balance = balance + 1  # ...and write: a lost update


def lost_deposit() -> None:
    account = Account()
    threads = [threading.Thread(target=_deposit, args=(account,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert account.balance == 2, f"a deposit was lost: balance {account.balance}"


def test_runs_after_the_first_skip_the_switch_points_of_each_threads_own_objects() -> None:
    with Session(lost_deposit) as session:
        session.focus = Focus()
        first = session.run(DefaultChooser())
        second = session.run(DefaultChooser())
    assert second.steps * 3 < first.steps
    assert first.quiet is None and second.quiet
    # The shared read and write are still seen, by both threads.
    seen = {(unit, str(event)) for unit, _, event, _ in second.events}
    assert {(1, "read Account.balance"), (2, "write Account.balance")} <= seen


def test_a_failure_found_with_focus_replays_identically_counted_in_every_step() -> None:
    found = races.explore(lost_deposit, strategy="random", seed=1, budget=200)
    assert found.kind is FailureKind.ASSERTION and found.schedule is not None
    replayed = races.replay(lost_deposit, str(found.schedule))
    assert replayed.kind is FailureKind.ASSERTION
    assert replayed.trace == found.trace


def test_a_race_predicted_by_a_focused_run_is_shown_with_a_schedule_that_replays() -> None:
    table: dict[str, int] = {}

    def insert() -> None:
        ledger = [n * n for n in range(200)]  # the thread's own
        assert sum(ledger) > 0
        if "k" not in table:
            table["k"] = 1

    def both() -> None:
        table.clear()
        threads = [threading.Thread(target=insert) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    found = races.explore(both, strategy="random", seed=0, budget=3)
    assert found.failure is not None and found.failure.pattern == "check-then-act"
    assert found.schedule is not None and found.trace is not None
    replayed = races.replay(both, str(found.schedule)).trace
    assert replayed is not None
    # The same steps, by the same threads, at the same lines. (Whether a step that starts
    # a thread is marked opaque can differ between a session's runs, focus or not.)
    assert [(s.thread, s.lineno, s.event) for s in replayed] == [
        (s.thread, s.lineno, s.event) for s in found.trace
    ]
