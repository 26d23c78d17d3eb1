"""Search strategies: each decides, run after run, which thread runs at each decision.

``random``      uniform choice at every decision: finds small races fastest
``pct``         probabilistic concurrency testing (priorities and d-1 change points)
``dfs``         every schedule up to a preemption bound, depth first
``hypothesis``  schedules drawn and shrunk by Hypothesis, known failures replayed first
``replay``      one given schedule (used by ``races.replay`` and by minimisation)
"""

from __future__ import annotations

from typing import Any

from races.strategies.base import Chooser, Search, Strategy

NAMES = ("random", "pct", "dfs", "hypothesis")


def make_strategy(name: str, *, seed: int | None, **options: Any) -> Strategy:
    """The strategy called ``name``; unknown names get the list of known ones."""
    if name == "random":
        from races.strategies.random import RandomStrategy

        return RandomStrategy(seed)
    if name == "pct":
        from races.strategies.pct import PCTStrategy

        return PCTStrategy(seed, depth=options.get("depth", 3))
    if name == "dfs":
        from races.strategies.dfs import DFSStrategy

        return DFSStrategy(preemption_bound=options.get("preemption_bound", 2))
    if name == "hypothesis":
        from races.strategies.hypothesis import HypothesisStrategy

        return HypothesisStrategy(
            seed,
            database_key=options.get("database_key", b"races"),
            database=options.get("database", "default"),
        )
    raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(NAMES)}")


__all__ = ["NAMES", "Chooser", "Search", "Strategy", "make_strategy"]
