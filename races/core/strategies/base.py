"""What a strategy is: something that hands out one chooser per run until it finds a failure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from races.vocabulary.outcome import Outcome, Position


class Chooser(Protocol):
    """Picks the thread to run at one decision of one run."""

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        """``enabled`` lists the threads that can run, in index order; ``current`` is the
        running thread if it can go on (choosing another one is a preemption); ``at`` is
        where the run is: the thread that took the last step, and its count of steps."""
        ...


#: What a chooser returns to end the run where it is: everything after would repeat a run
#: already made (partial-order reduction's sleep sets). The run ends with no failure and
#: ``Outcome.cut`` set.
CUT = -1


def default_choice(enabled: Sequence[int], current: int | None) -> int:
    """Keep the running thread; when it cannot go on, the lowest-numbered one that can."""
    return current if current is not None else enabled[0]


class DefaultChooser:
    """Always the default choice: how a run is wound down once its outcome is known."""

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        return default_choice(enabled, current)


class GoOnChooser:
    """Each thread (task, greenlet) as far as it goes: the one that took the last step
    runs again while it can, up to ``STRETCH`` steps in a row (a loop that polls for
    another task's work still lets it in). It is the run detection analyses: it mixes the
    threads as little as possible, so their orders of locking show as they are written."""

    STRETCH = 1000

    def __init__(self) -> None:
        self._run = 0

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        last = at[0]
        if last in enabled and self._run < self.STRETCH:
            self._run += 1
            return last
        self._run = 0
        choice = default_choice(enabled, current)
        if choice == last and len(enabled) > 1:
            choice = next(t for t in enabled if t != last)
        return choice


def ordered_options(enabled: Sequence[int], current: int | None) -> list[int]:
    """The choices at a decision, default first: the order in which searches try them."""
    if current is None:
        return list(enabled)
    return [current] + [t for t in enabled if t != current]


@dataclass
class SearchReport:
    """What a strategy's search produced."""

    failure: Outcome | None
    schedules: int  # every run, including any the strategy spent shrinking
    exhausted: bool = False
    first_failure: int | None = None  # runs until the first failure

    def __post_init__(self) -> None:
        if self.failure is not None and self.first_failure is None:
            self.first_failure = self.schedules


@dataclass(frozen=True)
class StrategyOptions:
    """Everything a strategy may be built from; each takes what it needs."""

    seed: int | None = 0
    depth: int = 3  # pct
    preemption_bound: int | None = None  # dfs (2 when None); dpor (none when None)
    step_bound: int | None = None  # dpor: reorder only the first this many steps
    database_key: bytes = b"races"  # hypothesis
    database: object = "default"  # hypothesis


class Strategy:
    """Hands out a fresh chooser for each run; the loop in ``search`` is shared.

    A strategy is registered under its ``name`` (see ``registry``); ``default_budget`` is
    how many runs it gets when the caller names none; ``seeded`` says whether its seed
    changes what it does (it is then part of how a failure is described).
    """

    name = "?"
    default_budget = 1000
    seeded = True
    #: Whether it samples schedules, each run apart from the others: it proves nothing,
    #: and may skip the switch points its runs have seen not matter (``core/focus.py``).
    samples = False

    @classmethod
    def create(cls, options: StrategyOptions) -> Strategy:
        """The strategy, built from the options it understands."""
        return cls()

    def next_chooser(self) -> Chooser | None:
        """The chooser for the next run, or None when every schedule has been tried."""
        raise NotImplementedError

    def search(self, run: Callable[[Chooser], Outcome], budget: int) -> SearchReport:
        schedules = 0
        while schedules < budget:
            chooser = self.next_chooser()
            if chooser is None:
                return SearchReport(None, schedules, exhausted=True)
            outcome = run(chooser)
            schedules += 1
            if outcome.failed:
                return SearchReport(outcome, schedules)
            if not outcome.decisions:
                # No thread ever had a rival: every schedule is this one.
                return SearchReport(None, schedules, exhausted=True)
        return SearchReport(None, schedules, exhausted=self.next_chooser() is None)

    def describe_pass(self, search: SearchReport) -> str:
        """One line for a search that found nothing."""
        return f"no failure in {search.schedules} {self.name} schedules"
