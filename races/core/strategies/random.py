"""Uniformly random choice at every decision.

Measured on small scenarios, switching uniformly at every point finds a race in fewer
schedules than a "sticky" chooser that rarely switches; larger programs are PCT's ground.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from races.core.strategies.base import Chooser, SearchReport, Strategy, StrategyOptions
from races.vocabulary.outcome import Position


class RandomChooser:
    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        return enabled[self._random.randrange(len(enabled))]


class RandomStrategy(Strategy):
    name = "random"
    samples = True

    @classmethod
    def create(cls, options: StrategyOptions) -> Strategy:
        return cls(options.seed)

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self._seeds = random.Random(seed)

    def next_chooser(self) -> Chooser:
        return RandomChooser(self._seeds.getrandbits(64))

    def describe_pass(self, search: SearchReport) -> str:
        return f"no failure in {search.schedules} random schedules (seed {self.seed})"
