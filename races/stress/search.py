"""Let Hypothesis choose the stress parameters, and shrink a failing configuration.

A configuration is a switch interval, a noise probability and the target's own size
parameters (threads, iterations: keyword arguments of its ``stress`` function). Each
example runs a small stress batch; it *fails* when any run shows a bad outcome.
Hypothesis then shrinks towards the smallest configuration that still fails: fewer
threads, fewer iterations, the default switch interval, no noise. Real threads are not
deterministic, so a configuration that failed once may pass when tried again; such an
example is reported as found but not shrunk, rather than as an error.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from races.stress.histogram import DEFAULT_INTERVAL, Setting
from races.stress.sweep import stress
from races.vocabulary.errors import InvalidArgument

#: Orders matter: Hypothesis shrinks towards the first entry, the mildest setting.
INTERVALS = (DEFAULT_INTERVAL, 1e-4, 1e-6)
NOISES = (0.0, 0.001, 0.01)
BAD = frozenset({"assertion", "exception", "thread exception", "hang", "crash"})


@dataclass
class SearchResult:
    failing: Setting | None
    examples: int
    shrunk: bool

    def render(self) -> str:
        if self.failing is None:
            return f"no failing configuration in {self.examples} examples"
        how = (
            "smallest failing configuration"
            if self.shrunk
            else "a failing configuration (not reproducible enough to shrink)"
        )
        return f"{how}: {self.failing} (after {self.examples} examples)"


def search(
    target: str,
    ranges: Mapping[str, tuple[int, int]],
    *,
    runs: int = 5,
    budget: int = 20,
    timeout: float = 10.0,
    seed: int = 0,
) -> SearchResult:
    """Search configurations of ``target``; ``ranges`` bounds each size parameter."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Flaky, NoSuchExample

    for name, (low, high) in ranges.items():
        if low > high:
            raise InvalidArgument(f"range for {name!r} is empty: {low}..{high}")
    examples = 0
    first: Setting | None = None

    def to_setting(config: Mapping[str, Any]) -> Setting:
        sizes = {k: int(v) for k, v in config.items() if k not in ("interval", "noise")}
        return Setting(
            float(config["interval"]), float(config["noise"]), tuple(sorted(sizes.items()))
        )

    def fails(config: Mapping[str, Any]) -> bool:
        nonlocal examples, first
        examples += 1
        setting = to_setting(config)
        (histogram,) = stress(target, runs=runs, settings=[setting], timeout=timeout, max_hangs=1)
        failed = any(r.outcome in BAD for r in histogram.runs)
        if failed and first is None:
            first = setting
        return failed

    space = st.fixed_dictionaries(
        {
            "interval": st.sampled_from(INTERVALS),
            "noise": st.sampled_from(NOISES),
            **{name: st.integers(low, high) for name, (low, high) in ranges.items()},
        }
    )
    config = settings(
        max_examples=budget,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    try:
        found = find(space, fails, settings=config, random=random.Random(seed))
    except NoSuchExample:
        return SearchResult(None, examples, False)
    except Flaky:
        return SearchResult(first, examples, False)
    return SearchResult(to_setting(found), examples, True)
