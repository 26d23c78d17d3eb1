"""Schedules drawn and shrunk by Hypothesis.

The encoding decides how fast Hypothesis shrinks (measured: a draw per decision took 30-60
seconds to shrink a two-thread counter at instruction level; this took well under one).
A schedule is one list of small integers drawn up front on the test's thread: entry i
picks among the options at decision i, default first (0 keeps the running thread), and
decisions past the end of the list take the default. Hypothesis shrinks integers towards
0 and lists towards shorter, which is exactly "fewer preemptions, then shorter".

The shrunk failing list is stored in Hypothesis' example database under a key derived
from the scenario (we store it ourselves: ``find`` keeps nothing once it returns), and a
later search replays the stored lists before it draws anything new.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from races.core.strategies.base import (
    Chooser,
    SearchReport,
    Strategy,
    StrategyOptions,
    ordered_options,
)
from races.vocabulary.outcome import Outcome, Position

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

#: Choices per decision. More options than this wrap around (choice % len(options)).
WIDTH = 8
MAX_DECISIONS = 1000


def choice_lists() -> SearchStrategy[list[int]]:
    """Schedules as Hypothesis draws them: one choice per decision, as ``ListChooser``
    takes them (this search, and ``races.hypothesis.interleavings()``)."""
    from hypothesis import strategies as st

    return st.lists(st.integers(0, WIDTH - 1), max_size=MAX_DECISIONS)


class ListChooser:
    def __init__(self, choices: Sequence[int]) -> None:
        self._choices = choices
        self._decision = 0

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        i = self._decision
        self._decision += 1
        c = self._choices[i] if i < len(self._choices) else 0
        options = ordered_options(enabled, current)
        return options[c % len(options)]


class HypothesisStrategy(Strategy):
    name = "hypothesis"

    @classmethod
    def create(cls, options: StrategyOptions) -> Strategy:
        return cls(options.seed, database_key=options.database_key, database=options.database)

    def __init__(
        self, seed: int | None, database_key: bytes = b"races", database: object = "default"
    ) -> None:
        self.seed = seed
        self.database_key = database_key
        self.database = database

    def search(self, run: Callable[[Chooser], Outcome], budget: int) -> SearchReport:
        from hypothesis import HealthCheck, Phase, find, settings
        from hypothesis.errors import NoSuchExample

        database = self._database()
        count = 0
        first: int | None = None
        if database is not None:
            for blob in sorted(database.fetch(self.database_key), key=len):
                count += 1
                outcome = run(ListChooser(list(blob)))
                if outcome.failed:
                    return SearchReport(outcome, count, first_failure=count)
                database.delete(self.database_key, blob)  # the bug is gone: forget it

        def fails(choices: list[int]) -> bool:
            nonlocal count, first
            count += 1
            failed = run(ListChooser(choices)).failed
            if failed and first is None:
                first = count
            return failed

        config = settings(
            max_examples=budget,
            deadline=None,
            # The explain phase leaves a sys.monitoring tool behind on 3.12, which hides
            # later trace events; we only need generation, replay and shrinking.
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        try:
            choices = find(
                choice_lists(),
                fails,
                settings=config,
                random=random.Random(self.seed),
                database_key=self.database_key,
            )
        except NoSuchExample:
            return SearchReport(None, count)
        if database is not None:
            database.save(self.database_key, bytes(choices))
        return SearchReport(run(ListChooser(choices)), count, first_failure=first)

    def _database(self) -> Any:
        if self.database == "default":
            from hypothesis import settings

            return settings().database
        return self.database

    def describe_pass(self, search: SearchReport) -> str:
        return f"no failure in {search.schedules} Hypothesis-drawn schedules (seed {self.seed})"
