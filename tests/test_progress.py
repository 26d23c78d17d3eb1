"""Progress on long work: drawn on a terminal with counts that move; nothing at all where
nobody watches (a pipe, a file, captured output, NO_COLOR). And the machine's output:
``--quiet``'s line per variant, ``--json``'s object per result."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

import races
from races import cli, progress
from races.catalogue import load_catalogue
from races.catalogue.runner import run_all
from races.core.exploration import Progress
from races.stress import Setting, stress
from tests import scenarios

ROOT = Path(__file__).resolve().parent.parent
ESCAPE = "\x1b"


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> tuple[Console, io.StringIO]:
    """A console that draws as on a terminal, into a string; every update is drawn."""
    monkeypatch.setattr(progress, "REFRESH", 0.0)
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100, color_system=None), out


def counts(pattern: str, text: str) -> list[int]:
    return [int(n) for n in re.findall(pattern, text)]


def environment(**changes: str) -> dict[str, str]:
    """This process's environment for a child races, as a user's terminal would have it."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="100", **changes)
    return env


# ---------------------------------------------------------------- what is drawn


def test_run_progress_counts_variants_schedules_and_failures(
    terminal: tuple[Console, io.StringIO],
) -> None:
    console, out = terminal
    catalogue = load_catalogue()
    case = catalogue.get("unlocked_counter")
    jobs = [(case.name, variant) for variant in case.variants]
    with progress.run_progress(console, len(jobs)) as tell:
        rows = run_all(catalogue.cases, jobs, {}, 1, tell)
    text = out.getvalue()
    done = counts(rf"(\d+)/{len(jobs)} variants", text)
    assert done == sorted(done) and done[0] == 0 and done[-1] == len(jobs)
    assert set(done) == set(range(len(jobs) + 1))  # each finished variant was drawn
    schedules = sum(row.data["result"]["schedules"] for row in rows)
    assert f"{schedules} schedules run, {len(case.broken)} failures found" in text
    last = rows[-1]
    assert f"last: {last.case}.{last.variant}: {last.verdict}" in text


def test_explore_progress_counts_schedules_then_the_replays_of_shrinking(
    terminal: tuple[Console, io.StringIO],
) -> None:
    console, out = terminal
    with progress.explore_progress(console, "tests.scenarios:single_line_counter", None) as tell:
        result = races.explore(scenarios.single_line_counter, strategy="pct", on_progress=tell)
    text = out.getvalue()
    assert "exploring tests.scenarios:single_line_counter" in text
    searched = counts(r"(\d+)/1000 schedules", text)
    assert searched == sorted(searched) and searched[-1] == result.schedules
    assert len(set(searched)) > 1
    assert result.found_after is not None
    replays = counts(rf"schedule {result.found_after} failed; shrinking it: (\d+) replay", text)
    assert replays == sorted(replays) and replays[-1] == result.shrink_replays


def test_the_exploration_tells_each_run_of_its_search_and_of_shrinking() -> None:
    told: list[Progress] = []
    result = races.explore(scenarios.single_line_counter, on_progress=told.append)
    search = [p for p in told if p.replays == 0]
    assert [p.schedules for p in search] == list(range(1, result.schedules + 1))
    assert {p.budget for p in told} == {1000}
    assert [p.found_after for p in search][-1] == result.found_after
    shrinking = told[len(search) :]
    assert [p.replays for p in shrinking] == list(range(1, result.shrink_replays + 1))
    assert {(p.schedules, p.found_after) for p in shrinking} == {
        (result.schedules, result.found_after)
    }


def test_a_search_that_finds_nothing_tells_each_schedule_of_its_budget() -> None:
    told: list[Progress] = []
    races.explore(scenarios.locked_counter, budget=12, on_progress=told.append)
    assert [p.schedules for p in told] == list(range(1, 13))
    assert {(p.budget, p.found_after, p.replays) for p in told} == {(12, None, 0)}


def test_stress_progress_counts_the_runs_of_each_setting(
    terminal: tuple[Console, io.StringIO],
) -> None:
    console, out = terminal
    settings = [Setting(), Setting(noise=0.01)]
    with progress.stress_progress(console, "sequential_threads") as tell:
        histograms = stress(
            "tests.stress_targets:sequential_threads", runs=4, settings=settings, on_run=tell
        )
    text = out.getvalue()
    assert "stressing sequential_threads" in text
    for histogram in histograms:
        row = re.escape(str(histogram.setting)) + r" [━ ]+ (\d)/4 runs"
        drawn = counts(row, text)
        assert drawn == sorted(drawn) and set(drawn) == {0, 1, 2, 3, 4}
        assert f"{histogram.setting}: 4 ok" in text


# ---------------------------------------------------------------- where nothing is drawn


def test_progress_is_drawn_on_a_terminal_only_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert progress.progress_console(FakeTerminal()) is not None
    assert progress.progress_console(io.StringIO()) is None  # a pipe, a file
    monkeypatch.setenv("NO_COLOR", "1")
    assert progress.progress_console(FakeTerminal()) is None
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert progress.progress_console(FakeTerminal()) is None
    with progress.run_progress(None, 3) as tell:
        assert tell is None


@pytest.mark.parametrize("no_color", [False, True], ids=["captured", "NO_COLOR on a terminal"])
def test_a_run_writes_nothing_extra_where_nobody_watches(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_color: bool
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setattr(sys, "stderr", FakeTerminal())
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli.main(["run", "unlocked_counter", "--variant", "fixed"]) == cli.EXIT_OK
    out, err = capsys.readouterr()
    written = sys.stderr.getvalue() if no_color else err  # type: ignore[attr-defined]
    assert written == ""
    assert ESCAPE not in out
    assert "0 bug(s) shown, 1 fix(es) held" in out


def test_progress_appears_on_a_terminal_and_not_in_what_is_piped(tmp_path: Path) -> None:
    # `races run CASE` with standard error on a terminal and standard output to a file.
    primary, secondary = pty.openpty()
    stdout = tmp_path / "stdout.txt"
    with stdout.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "races", "run", "unlocked_counter"],
            stdout=out,
            stderr=secondary,
            cwd=ROOT,
            env=environment(),
        )
    os.close(secondary)
    drawn = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # every end of the terminal is closed: races has exited
            break
        if not chunk:
            break
        drawn += chunk
    os.close(primary)
    assert child.wait(timeout=120) == cli.EXIT_OK
    terminal = drawn.decode()
    assert ESCAPE in terminal
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)
    assert "races run" in shown and "3/3 variants" in shown
    printed = stdout.read_text()
    assert ESCAPE not in printed and "/3 variants" not in printed
    assert "2 bug(s) shown, 1 fix(es) held" in printed


def test_piped_output_has_no_escape_codes() -> None:
    # `races run CASE 2>&1 | cat`
    piped = subprocess.run(
        [sys.executable, "-m", "races", "run", "unlocked_counter"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env=environment(),
        text=True,
        timeout=120,
        check=True,
    )
    assert ESCAPE not in piped.stdout
    assert "/3 variants" not in piped.stdout
    assert "2 bug(s) shown, 1 fix(es) held" in piped.stdout


def test_a_quiet_run_prints_one_line_per_variant(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTerminal())  # quiet draws no progress even here
    assert cli.main(["run", "unlocked_counter", "lock_reentry", "--quiet"]) == cli.EXIT_OK
    out, _ = capsys.readouterr()
    catalogue = load_catalogue()
    expected = [
        f"{name}.{variant}: {'bug shown' if variant in case.broken else 'fix holds'}"
        for name in ("unlocked_counter", "lock_reentry")
        for case in [catalogue.get(name)]
        for variant in case.variants
    ]
    lines = out.splitlines()
    assert lines[: len(expected)] == expected
    assert lines[len(expected) :][0] == ""
    assert lines[len(expected) + 1].startswith("3 bug(s) shown, 3 fix(es) held, 0 not as declared")
    assert len(lines) == len(expected) + 2
    assert sys.stderr.getvalue() == ""  # type: ignore[attr-defined]


def test_a_stress_search_prints_one_json_object_with_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["stress", "unlocked_counter", "--variant", "broken_pause", "--runs", "10"]
    assert cli.main([*args, "--search", "threads=2..4", "--json"]) == cli.EXIT_OK
    (line,) = capsys.readouterr().out.splitlines()
    found = json.loads(line)
    assert (found["case"], found["variant"], found["shrunk"]) == (
        "unlocked_counter",
        "broken_pause",
        True,
    )
    assert found["failing"].endswith("threads=2") and found["examples"] >= 1
    assert found["summary"].startswith("smallest failing configuration: ")
