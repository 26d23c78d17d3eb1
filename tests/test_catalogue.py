"""The catalogue: every built-in case behaves as declared; plugins load, or fail clearly."""

from __future__ import annotations

import copy
import shutil
import sys
from dataclasses import replace
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from races import cli
from races.catalogue import load_catalogue, run_case
from races.catalogue.registry import GROUP
from races.catalogue.runner import run_variant
from races.catalogue.scaffold import scaffold

FIXTURES = Path(__file__).parent.parent / "fixtures" / "plugins"
BUILTIN = load_catalogue([EntryPoint("builtin", "races.cases", GROUP)])


def install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, source: Path
) -> None:
    """Install a plugin as pip would, as far as entry points go: a .dist-info on sys.path."""
    dist = tmp_path / f"{name}-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text(f"[{GROUP}]\n{name} = {value}\n")
    monkeypatch.syspath_prepend(str(source))
    monkeypatch.syspath_prepend(str(tmp_path))


def test_the_builtin_catalogue_loads_every_lesson_in_order_without_errors() -> None:
    assert [str(e) for e in BUILTIN.errors] == []
    packages = sorted(
        p.parent.name
        for p in (Path(__file__).parent.parent / "races" / "cases").glob("*/__init__.py")
    )
    assert sorted(BUILTIN.cases) == packages  # every lesson's package is a case
    orders = [case.order for case in BUILTIN.ordered()]
    assert orders == list(range(1, len(orders) + 1))  # numbered without a gap, from 1
    assert BUILTIN.ordered()[0].name == "unlocked_counter"


@pytest.mark.parametrize("case", BUILTIN.ordered(), ids=lambda c: c.name)
def test_every_broken_variant_shows_its_bug_and_every_fix_holds(case) -> None:  # type: ignore[no-untyped-def]
    if case.missing() is not None:
        pytest.skip(case.missing())
    for report in run_case(case):
        assert report.passed, report.render()
        assert report.verdict in ("bug shown", "fix holds")  # nothing is skipped
        if case.needs is not None:
            # Shown on real processes, and it says why the scheduler could not.
            assert report.stress is not None and report.result is None
            assert case.needs.split(":")[0] in report.render()
            if report.role == "fix":
                assert report.stress.runs == case.stress_runs
                assert f"0 of {case.stress_runs} runs: p <" in report.render()
            else:
                assert report.stress.shown_in is not None
        elif report.role == "broken":
            assert report.result is not None and report.result.failed
        if report.role == "broken":
            assert report.observed in case.forbidden() | {"hang"}


@pytest.mark.parametrize("case", BUILTIN.ordered(), ids=lambda c: c.name)
def test_every_broken_module_teaches_and_runs_standalone(case) -> None:  # type: ignore[no-untyped-def]
    if case.missing() is not None:
        pytest.skip(case.missing())
    broken = case.module(case.broken[0])
    doc = broken.__doc__ or ""
    assert len(doc.splitlines()) >= 3, "the broken module's docstring teaches the bug"
    for variant in case.variants:
        source = Path(case.module(variant).__file__).read_text()
        assert "import races" not in source and "from races" not in source
        assert 'if __name__ == "__main__":' in source


def test_a_case_whose_optional_package_is_missing_is_skipped_and_says_what_to_install() -> None:
    case = next(c for c in BUILTIN.ordered() if c.requires)
    absent = replace(case, requires=("races_no_such_package",))
    assert absent.missing() == (
        "needs races_no_such_package, which is not installed: pip install "
        "races_no_such_package (or pip install 'races[lessons]')"
    )
    assert absent.problems() == []  # its variants are not imported to be checked
    report = run_variant(absent, absent.broken[0])
    assert (report.verdict, report.passed, report.meaning) == ("skipped", True, absent.missing())


def test_a_third_party_plugin_is_listed_and_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(tmp_path, monkeypatch, "sample_races", "sample_races", FIXTURES / "sample_races")
    assert cli.main(["list"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("shared_total"))
    assert "sample_races" in line and "atomicity violation" in line
    assert cli.main(["run", "shared_total", "--jobs", "1"]) == cli.EXIT_OK
    assert "1 bug(s) shown, 1 fix(es) held, 0 not as declared;" in capsys.readouterr().out


def test_a_plugin_that_fails_to_import_is_one_clear_error_and_the_rest_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(
        tmp_path, monkeypatch, "broken_import", "broken_import_plugin", FIXTURES / "broken_import"
    )
    catalogue = load_catalogue()
    assert "unlocked_counter" in catalogue.cases
    (error,) = [e for e in catalogue.errors if e.plugin == "broken_import"]
    text = str(error)
    assert text.startswith("plugin 'broken_import': cannot import 'broken_import_plugin'")
    assert "races_this_module_does_not_exist" in text and "remove the entry point" in text


@pytest.mark.parametrize(
    ("case", "fix"),
    [
        ("no_broken", "add broken.py to the case's package"),
        ("no_scenario", "has no scenario() function: add a zero-argument scenario()"),
        ("no_case", "defines no CASE: add `CASE = races.catalogue.Case(...)`"),
    ],
)
def test_a_malformed_case_names_the_plugin_the_case_and_the_fix(
    case: str, fix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(tmp_path, monkeypatch, "malformed", "malformed_cases", FIXTURES / "malformed")
    catalogue = load_catalogue()
    errors = {e.case: str(e) for e in catalogue.errors if e.plugin == "malformed"}
    assert errors[case].startswith(f"plugin 'malformed', case '{case}': ")
    assert fix in errors[case]
    assert "undeclared" in catalogue.cases  # well-formed on paper: it loads
    assert "unlocked_counter" in catalogue.cases


def test_an_undeclared_outcome_is_an_error_of_the_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(tmp_path, monkeypatch, "malformed", "malformed_cases", FIXTURES / "malformed")
    case = load_catalogue().get("undeclared")
    report = run_variant(case, "broken")
    assert not report.passed and report.verdict == "undeclared"
    assert "does not declare the outcome 'deadlock'" in report.meaning


def test_races_new_scaffolds_a_plugin_whose_case_behaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = scaffold("my_races", tmp_path)
    assert (root / "tests" / "test_cases.py").exists()
    assert 'my_races = "my_races"' in (root / "pyproject.toml").read_text()
    site = tmp_path / "site"
    site.mkdir()
    install(site, monkeypatch, "my_races", "my_races", root)
    catalogue = load_catalogue()
    case = catalogue.get("shared_counter")
    assert case.origin == "my_races"
    assert all(report.passed for report in run_case(case))


def test_races_new_refuses_a_bad_name_or_an_existing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["new", "My-Races", "--directory", str(tmp_path)]) == cli.EXIT_USAGE
    assert "must be a lowercase Python identifier" in capsys.readouterr().err
    scaffold("taken", tmp_path)
    assert cli.main(["new", "taken", "--directory", str(tmp_path)]) == cli.EXIT_USAGE
    assert "already exists" in capsys.readouterr().err


def test_an_unknown_case_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "unlocked_countr"]) == cli.EXIT_USAGE
    assert (
        "no case named 'unlocked_countr'; did you mean 'unlocked_counter'?"
        in capsys.readouterr().err
    )
    assert (
        cli.main(["replay", "lock_reentry", "line: -", "--variant", "fixd_rlock"]) == cli.EXIT_USAGE
    )
    assert "did you mean 'fixed_rlock'?" in capsys.readouterr().err


def test_show_prints_the_lesson_and_a_diff_of_each_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["show", "lock_reentry"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "threading.Lock` is not re-entrant" in out
    assert "--- broken.py against fixed_rlock.py: the code only ---" in out
    diff = out.split("against fixed_rlock.py: the code only ---", 1)[1]
    diff = diff.split("\n--- broken.py against")[0]
    changed = [
        line
        for line in diff.splitlines()
        if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))
    ]
    # The fix is one lock and one comment; the docstrings and the demo are not code.
    assert changed == [
        "-        self.lock = threading.Lock()",
        "+        self.lock = threading.RLock()",
        "-        self.withdraw(1)  # takes self.lock, which transfer() already holds",
        "+        self.withdraw(1)  # re-enters self.lock: fine for an RLock",
    ]


def test_show_side_by_side_marks_each_changed_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["show", "unlocked_counter", "--side-by-side"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "broken.py" in out and "   fixed.py" in out
    assert any(
        line.rstrip().endswith("> count_lock = threading.Lock()") for line in out.splitlines()
    )
    assert any("count -= 1" in line and " | " in line for line in out.splitlines())


def test_show_of_a_case_whose_package_is_missing_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalogue = copy.copy(BUILTIN)
    case = replace(BUILTIN.get("greenlet_switch_race"), requires=("no_such_package_here",))
    catalogue.cases = {**BUILTIN.cases, case.name: case}
    monkeypatch.setattr(cli, "_catalogue", lambda: catalogue)
    assert cli.main(["show", case.name]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert out.splitlines()[-1] == (
        "races: greenlet_switch_race needs no_such_package_here, which is not installed: "
        "pip install no_such_package_here (or pip install 'races[lessons]')"
    )


def test_show_explains_the_happens_before_edge_each_fix_adds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["show", "unlocked_counter"]) == cli.EXIT_OK
    out = " ".join(capsys.readouterr().out.split("What each fix orders", 1)[1].split())
    assert "Thread-2 (decrement)'s read of `count`" in out
    assert "now happens after Thread-1 (decrement)'s write" in out
    assert "release of `count_lock` at fixed.py:" in out and "acquire of `count_lock`" in out
    assert cli.main(["show", "dining_philosophers"]) == cli.EXIT_OK
    out = " ".join(capsys.readouterr().out.split())
    assert "fixed_ordered_forks: No two locks are taken in opposite orders" in out
    assert (
        "fixed_waiter: The locks still form a cycle, but every thread in it holds a permit" in out
    )


def test_a_recorded_case_schedule_replays_from_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    recorded = FIXTURES.parent / "schedules" / f"check_then_act_balance@{version}.txt"
    schedule = recorded.read_text().strip()
    assert schedule.startswith(f"line@{version}: ")
    assert cli.main(["replay", "check_then_act_balance", schedule]) == cli.EXIT_FAILURE_FOUND
    out = capsys.readouterr().out
    assert "overdrawn: balance is -60" in out and "| balance" in out


def test_a_case_whose_program_is_missing_is_skipped_and_says_how_to_install_it() -> None:
    case = BUILTIN.cases["cache_lost_update"]
    absent = replace(case, programs=(("races-no-such-server", "apt-get install it"),))
    message = (
        "needs the program races-no-such-server, which is not installed here: apt-get install it"
    )
    assert absent.missing() == message
    report = run_variant(absent, "broken")
    assert (report.verdict, report.passed, report.meaning) == ("skipped", True, message)


@pytest.mark.skipif(
    shutil.which("memcached") is None, reason="needs memcached: apt-get install memcached"
)
def test_the_cache_lesson_loses_views_between_real_processes_and_its_fixes_do_not() -> None:
    from races.stress import Setting, stress

    one = [Setting()]
    (broken,) = stress("races.cases.cache_lost_update.broken:stress", runs=3, settings=one)
    assert broken.counts["assertion"] >= 2, broken.render()
    for fix in ("fixed_incr", "fixed_cas"):
        (fixed,) = stress(f"races.cases.cache_lost_update.{fix}:stress", runs=3, settings=one)
        assert fixed.counts["ok"] == 3, fixed.render()


def _swapped(name: str) -> Any:
    """A case whose "broken" variant is its fix: a lesson that cannot show its bug."""
    case = BUILTIN.get(name)
    return replace(case, broken=case.fixes[:1], fixes=case.broken[:1])


def test_a_broken_variant_that_does_not_show_its_bug_is_a_failed_verdict() -> None:
    case = _swapped("unlocked_counter")
    report = run_variant(case, case.broken[0], budget=20)
    assert report.verdict == "bug not shown" and not report.passed
    assert "no failure in 20 random schedules (seed 0)" in report.render()  # what was tried


def test_races_stress_exits_non_zero_when_a_bug_is_not_shown_and_says_what_it_tried(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    swapped = _swapped("unlocked_counter")

    catalogue = copy.copy(BUILTIN)
    catalogue.cases = {**BUILTIN.cases, "unlocked_counter": swapped}
    monkeypatch.setattr(cli, "_catalogue", lambda: catalogue)
    code = cli.main(["stress", "unlocked_counter", "--variant", "fixed", "--runs", "3"])
    out = capsys.readouterr().out
    assert code == 1
    assert "verdict: fixed: bug not shown: no assertion in" in out
    assert "(default switch interval; switch interval 1 us;" in out  # the settings tried
    assert "the scheduler shows it every time: races run unlocked_counter" in out
