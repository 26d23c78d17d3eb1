"""Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte; ASPLOS 2010).

Each thread gets a random distinct priority when it first appears; the highest-priority
thread that can run always runs. At ``depth - 1`` change points, drawn uniformly over the
run's expected length, the running thread drops to a priority below all initial ones.
A bug of depth d (d ordering constraints) is found in each run with probability at least
1 / (n * k^(d-1)) for n threads and k steps, whatever the program.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from races.core.strategies.base import Chooser, SearchReport, Strategy, StrategyOptions
from races.vocabulary.errors import InvalidArgument
from races.vocabulary.outcome import Outcome, Position


class PCTChooser:
    def __init__(self, rng: random.Random, depth: int, length: int) -> None:
        self._random = rng
        self._priority: dict[int, float] = {}
        points = rng.sample(range(1, max(length, depth) + 1), depth - 1) if depth > 1 else []
        # The i-th change point lowers the running thread to priority i (below every
        # initial priority, which start at `depth`).
        self._change = {step: float(i) for i, step in enumerate(sorted(points), start=1)}

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        for thread in enabled:
            if thread not in self._priority:
                self._priority[thread] = len(self._change) + 1 + self._random.random() * 1000
        if step in self._change:
            running = (
                current if current is not None else max(enabled, key=self._priority.__getitem__)
            )
            self._priority[running] = self._change[step]
        return max(enabled, key=self._priority.__getitem__)


class PCTStrategy(Strategy):
    name = "pct"

    @classmethod
    def create(cls, options: StrategyOptions) -> Strategy:
        return cls(options.seed, depth=options.depth)

    def __init__(self, seed: int | None, depth: int = 3) -> None:
        if depth < 1:
            raise InvalidArgument(f"pct depth must be at least 1, not {depth}")
        self.seed = seed
        self.depth = depth
        self._random = random.Random(seed)
        self._length = 100  # steps per run, re-estimated from the runs seen

    def next_chooser(self) -> Chooser:
        return PCTChooser(random.Random(self._random.getrandbits(64)), self.depth, self._length)

    def search(self, run: Callable[[Chooser], Outcome], budget: int) -> SearchReport:
        def measured(chooser: Chooser) -> Outcome:
            outcome = run(chooser)
            self._length = max(self._length, outcome.steps)  # change points span the run
            return outcome

        return super().search(measured, budget)

    def describe_pass(self, search: SearchReport) -> str:
        return (
            f"no failure in {search.schedules} PCT schedules (depth {self.depth}, seed {self.seed})"
        )
