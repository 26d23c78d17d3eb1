"""Every schedule with at most ``preemption_bound`` preemptions, depth first.

Most concurrency bugs need only one or two preemptions (Musuvathi and Qadeer, PLDI 2007),
and bounding them keeps the search polynomial in the run's length. A switch when the
running thread blocks or ends is free; only taking the processor from a thread that could
go on counts. Without partial-order reduction, schedules that differ only in the order of
independent steps are all run: exhaustive, but more runs than a DPOR checker needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from races.core.strategies.base import (
    Chooser,
    SearchReport,
    Strategy,
    StrategyOptions,
    ordered_options,
)
from races.vocabulary.errors import InvalidArgument, ScheduleDivergedError
from races.vocabulary.outcome import Position


@dataclass
class _Node:
    options: list[int]
    chosen: int  # index into options
    preemptions: int  # taken on the path before this decision
    current: int | None

    def cost(self, i: int) -> int:
        return int(self.current is not None and self.options[i] != self.current)


class _DFSChooser:
    def __init__(self, strategy: DFSStrategy) -> None:
        self._strategy = strategy
        self._depth = 0

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        stack = self._strategy.stack
        options = ordered_options(enabled, current)
        if self._depth < len(stack):
            node = stack[self._depth]
            if node.options != options:
                raise ScheduleDivergedError(
                    f"the scenario is not deterministic: at step {step} the threads that can "
                    f"run are {sorted(options)}, but an earlier run with the same choices had "
                    f"{sorted(node.options)}. Exhaustive search needs a scenario that depends "
                    "only on the interleaving (no real time, I/O or unseeded randomness)"
                )
        else:
            spent = stack[-1].preemptions + stack[-1].cost(stack[-1].chosen) if stack else 0
            node = _Node(options, 0, spent, current)
            stack.append(node)
        self._depth += 1
        return node.options[node.chosen]


class DFSStrategy(Strategy):
    name = "dfs"
    default_budget = 100_000
    seeded = False

    @classmethod
    def create(cls, options: StrategyOptions) -> Strategy:
        bound = options.preemption_bound
        return cls(preemption_bound=2 if bound is None else bound)

    def __init__(self, preemption_bound: int = 2) -> None:
        if preemption_bound < 0:
            raise InvalidArgument(f"preemption_bound must be 0 or more, not {preemption_bound}")
        self.preemption_bound = preemption_bound
        self.stack: list[_Node] = []
        self._started = False

    def next_chooser(self) -> Chooser | None:
        if self._started and not self._advance():
            return None
        self._started = True
        return _DFSChooser(self)

    def _advance(self) -> bool:
        """Move to the next untried schedule within the bound; False when none is left."""
        stack = self.stack
        while stack:
            node = stack[-1]
            for i in range(node.chosen + 1, len(node.options)):
                if node.preemptions + node.cost(i) <= self.preemption_bound:
                    node.chosen = i
                    return True
            stack.pop()
        return False

    def describe_pass(self, search: SearchReport) -> str:
        bound = self.preemption_bound
        plural = "" if bound == 1 else "s"
        if search.exhausted:
            every = (
                "the only schedule"
                if search.schedules == 1
                else f"all {search.schedules} schedules"
            )
            return f"no failure in {every} with at most {bound} preemption{plural}"
        return (
            f"no failure in {search.schedules} schedules with at most {bound} preemption{plural} "
            "(budget reached before the search was exhausted)"
        )
