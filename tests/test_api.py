"""The public API's choices: which runtime runs a scenario, and which strategies exist."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import races
from races import cli
from races.core.strategies import registry
from tests import async_scenarios, scenarios


def test_a_coroutine_function_runs_on_asyncio_and_a_plain_one_on_threads() -> None:
    assert str(races.explore(async_scenarios.lost_update_needs_reordering).schedule).startswith(
        "await@"
    )
    assert str(races.explore(scenarios.two_line_counter).schedule).startswith("instruction@")


@pytest.mark.parametrize(
    ("scenario", "runtime"),
    [
        (scenarios.two_line_counter, "asyncio"),
        (async_scenarios.lost_update_needs_reordering, "threads"),
        (async_scenarios.lost_update_needs_reordering, "gevent"),
    ],
)
def test_a_runtime_that_does_not_fit_the_scenario_is_refused(
    scenario: object, runtime: str
) -> None:
    with pytest.raises(races.InvalidArgument, match=f"runtime={runtime!r} does not fit"):
        races.explore(scenario, runtime=runtime)  # type: ignore[arg-type]


def test_an_unknown_runtime_names_the_known_ones() -> None:
    with pytest.raises(races.InvalidArgument, match="'threads', 'asyncio', 'gevent' or 'auto'"):
        races.explore(scenarios.two_line_counter, runtime="fibers")  # type: ignore[arg-type]


def test_granularity_only_chooses_lines_or_instructions() -> None:
    with pytest.raises(races.InvalidArgument, match="granularity must be 'line' or 'instruction'"):
        races.explore(scenarios.two_line_counter, granularity="await")  # type: ignore[arg-type]


PLUGIN = """
from races.core.strategies.base import Strategy


class Chooser:
    def choose(self, step, enabled, current, at):
        return enabled[-1]  # always the highest-numbered thread that can run


class Last(Strategy):
    name = "last"
    default_budget = 1
    seeded = False

    def next_chooser(self):
        return Chooser()
"""


@pytest.fixture
def plugin_strategy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A package that registers the strategy "last", installed as pip would."""
    (tmp_path / "last_strategy.py").write_text(textwrap.dedent(PLUGIN))
    dist = tmp_path / "last_strategy-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: last-strategy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{registry.GROUP}]\nlast = last_strategy:Last\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.strategies.cache_clear()
    yield
    registry.strategies.cache_clear()


@pytest.mark.usefixtures("plugin_strategy")
def test_a_plugin_strategy_is_registered_by_entry_point_and_used_by_name() -> None:
    assert registry.names()[:5] == ("random", "pct", "dfs", "dpor", "hypothesis")
    assert "last" in registry.names()
    result = races.explore(scenarios.two_line_counter, strategy="last")
    assert result.strategy == "last" and result.schedules == 1  # its own default budget


@pytest.mark.usefixtures("plugin_strategy")
def test_the_command_line_offers_a_plugin_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["explore", "tests.scenarios:locked_counter", "--strategy", "last"])
    assert code == cli.EXIT_OK, capsys.readouterr().err
    assert "no failure in 1 last schedules" in capsys.readouterr().out


def test_an_unknown_strategy_names_the_known_ones() -> None:
    with pytest.raises(
        races.InvalidArgument, match="choose one of random, pct, dfs, dpor, hypothesis"
    ):
        races.explore(scenarios.two_line_counter, strategy="smart")
