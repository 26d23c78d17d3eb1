"""The strategies races can search with: the one list of their names.

The built-in ones, and any a package registers in the entry-point group
``races.strategies`` (``name = "package.module:StrategyClass"``, a subclass of
``races.core.strategies.base.Strategy``). The command line's choices, the API's check and
the pytest options all read this list.
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

from races.core.strategies.base import Strategy, StrategyOptions
from races.core.strategies.dfs import DFSStrategy
from races.core.strategies.dpor import DPORStrategy
from races.core.strategies.hypothesis import HypothesisStrategy
from races.core.strategies.pct import PCTStrategy
from races.core.strategies.random import RandomStrategy
from races.vocabulary.errors import InvalidArgument

GROUP = "races.strategies"
BUILTIN: tuple[type[Strategy], ...] = (
    RandomStrategy,
    PCTStrategy,
    DFSStrategy,
    DPORStrategy,
    HypothesisStrategy,
)


@functools.cache
def strategies() -> dict[str, type[Strategy]]:
    """Every strategy by name, built-in ones first; a plugin cannot replace one."""
    found = {cls.name: cls for cls in BUILTIN}
    for ep in entry_points(group=GROUP):
        if ep.name in found:
            continue
        try:
            cls = ep.load()
        except Exception:  # noqa: BLE001 - a broken plugin must not break races
            continue
        if isinstance(cls, type) and issubclass(cls, Strategy):
            found[ep.name] = cls
    return found


def names() -> tuple[str, ...]:
    return tuple(strategies())


def strategy_class(name: str) -> type[Strategy]:
    """The strategy called ``name``; an unknown name gets the list of known ones."""
    try:
        return strategies()[name]
    except KeyError:
        raise InvalidArgument(
            f"unknown strategy {name!r}; choose one of {', '.join(names())}"
        ) from None


def make_strategy(name: str, options: StrategyOptions | None = None) -> Strategy:
    return strategy_class(name).create(options or StrategyOptions())
