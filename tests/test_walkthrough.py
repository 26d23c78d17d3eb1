"""The report a lesson's docstring shows is the one races prints (generated, not typed).

Each broken variant the scheduler shows has a "What races prints" section, written by
``races run --write-docstrings``. Checking it runs no lesson: the golden reports of
``tests/test_reports.py`` hold the same report, and that test checks them against fresh
runs on every Python; here each section is compared with the golden of the running
Python, both normalised for what differs between Python versions (step numbers and
counts) and between machines (paths, timings).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from races import cli
from races.catalogue import load_catalogue, walkthrough
from races.catalogue.runner import run_variant
from races.catalogue.walkthrough import (
    PRINTED,
    bare_paths,
    printed_report,
    printed_section,
    run_and_print,
    section_of,
    with_printed,
)
from tests.test_reports import GOLDEN, LESSONS
from tests.test_reports import normalise as normalise_report

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue()

# The failure's report inside a golden file: after the headline and the "found by" line,
# before the interleaving's title (which ``Result.render`` always prints after it).
GOLDEN_REPORT = re.compile(
    r"\nfound by [^\n]*\n\n(?P<report>.*?)\n\n(?:Minimal interleaving \(|The last steps:)",
    re.DOTALL,
)


def normalise(report: str) -> str:
    """The report without what differs between Python versions or machines: paths, step
    numbers, the lengths of the stretches it leaves out, timings."""
    text = bare_paths(normalise_report(report))
    text = re.sub(r"(?m)^ *\d+ (?=\S)", "<step> ", text)
    text = re.sub(r"\.\.\. \d+ steps?\b", "... <n> steps", text)
    return re.sub(r"\(\d+ (preemptions?|departures? from FIFO order), \d+ steps\)", "(<n>)", text)


def golden_report(case: str, variant: str) -> str:
    """The failure's report in the golden file of the running Python."""
    golden = GOLDEN / f"{case}.{variant}.txt"
    assert golden.exists(), f"no golden report {golden}: run tests/test_reports.py"
    found = GOLDEN_REPORT.search(golden.read_text())
    assert found is not None, f"{golden} has no report where races prints one"
    return found["report"]


@pytest.mark.parametrize(("case", "variant"), LESSONS, ids=lambda x: getattr(x, "name", x))
def test_the_report_a_docstring_shows_is_the_one_races_prints(case, variant) -> None:  # type: ignore[no-untyped-def]
    path = ROOT / str(case.package).replace(".", "/") / f"{variant}.py"
    shown = section_of(path.read_text())
    regenerate = f"races run {case.name} --variant {variant} --write-docstrings, twice"
    assert shown is not None, f"{path.name} of {case.name} has no {PRINTED!r}: {regenerate}"
    assert normalise(shown) == normalise(golden_report(case.name, variant)), (
        f"{path.name} of {case.name} shows another report than races prints: {regenerate}"
    )


@pytest.mark.parametrize("name", ["unlocked_counter", "lock_order_deadlock"])
def test_the_golden_holds_the_whole_report_races_prints(name: str) -> None:
    """What the docstrings are compared with is all of ``Failure.report``, no more: a
    focused interleaving, and a deadlock listing with absolute paths."""
    case = CATALOGUE.get(name)
    report = run_variant(case, case.broken[0], shrink_time=600)
    assert report.result is not None and report.result.failure is not None
    whole = report.result.failure.report
    assert "\n\n" in whole or "/" in whole  # a blank line inside, or absolute paths
    found = GOLDEN_REPORT.search(normalise_report(report.render()))
    assert found is not None and found["report"] == normalise_report(whole)
    assert printed_report(report) == bare_paths(whole)


def test_a_case_shown_on_real_processes_is_not_run_and_has_no_printed_report() -> None:
    case = CATALOGUE.get("mp_value_unlocked")
    assert case.needs is not None
    assert run_and_print(case, case.broken[0]) is None


def test_paths_are_shown_by_their_file_names() -> None:
    text = "held (acquired at /x/races/cases/a/broken.py:49  `with a:`), at <races>/b/fixed.py:3"
    assert bare_paths(text) == "held (acquired at broken.py:49  `with a:`), at fixed.py:3"
    assert bare_paths("(broken.py:62) [read count]") == "(broken.py:62) [read count]"


def test_races_run_write_docstrings_writes_what_each_broken_variant_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    written: list[tuple[str, str, str]] = []

    def write(case: Any, variant: str, report: str) -> tuple[str, bool]:
        written.append((case.name, variant, report))
        return f"{variant}.py", True

    monkeypatch.setattr(walkthrough, "write_docstring", write)
    code = cli.main(["run", "unlocked_counter", "--jobs", "1", "--write-docstrings"])
    assert code == 0
    assert [(name, variant) for name, variant, _ in written] == [
        ("unlocked_counter", "broken"),
        ("unlocked_counter", "broken_pause"),
    ]  # the fix printed no report, and is left alone
    assert all(report.startswith("Lost update: Thread-1 (decrement)") for *_, report in written)
    assert "printed report written to broken.py" in capsys.readouterr().out


# The section's place in a docstring, on a small module.

SOURCE = '''"""A lesson in one line.

What goes wrong
---------------
Two threads, one counter.

    an indented example, kept as it is

The fix
-------
A lock.

Measured on a real interpreter
------------------------------
    setting               forbidden outcome in
"""

import threading
'''

REPORT = "Lost update: Thread-1 read `count` (/abs/broken.py:9)\n\n  1 Thread-1 count -= 1"


def _section(report: str = REPORT) -> str:
    case = CATALOGUE.get("unlocked_counter")
    return printed_section(case, "broken", report)


def test_the_section_comes_right_after_what_goes_wrong() -> None:
    written = with_printed(SOURCE, _section())
    doc = written.split('"""')[1]
    assert doc.index("What goes wrong") < doc.index(PRINTED) < doc.index("The fix")
    assert "Lost update: Thread-1 read `count` (broken.py:9)\n\n      1 Thread-1 count -= 1" in doc
    assert "`races run unlocked_counter` finds it and prints (CPython " in doc


def test_every_other_part_of_the_module_is_left_as_it_was() -> None:
    written = with_printed(SOURCE, _section())
    assert written[: written.index(PRINTED)] + written[written.index("The fix") :] == SOURCE


def test_writing_the_section_again_changes_nothing() -> None:
    once = with_printed(SOURCE, _section())
    assert with_printed(once, _section()) == once


def test_a_new_report_replaces_the_old_section() -> None:
    once = with_printed(SOURCE, _section())
    again = with_printed(once, _section("Deadlock: these threads wait"))
    assert again.count(PRINTED) == 1
    assert section_of(again) == "Deadlock: these threads wait"
    assert with_printed(again, _section()) == once


def test_the_section_reads_back_as_the_report_races_printed() -> None:
    assert section_of(with_printed(SOURCE, _section())) == bare_paths(REPORT)
    assert section_of(SOURCE) is None


def test_without_what_goes_wrong_the_section_follows_the_introduction() -> None:
    source = '"""A variant in one line.\n\nMore words.\n\nThe fix\n-------\nA lock.\n"""\n'
    doc = with_printed(source, _section()).split('"""')[1]
    assert doc.index("More words.") < doc.index(PRINTED) < doc.index("The fix")


def test_a_stale_section_is_caught(tmp_path: Path) -> None:
    """What the parametrized test above does with a docstring edited by hand."""
    source = (ROOT / "races/cases/unlocked_counter/broken.py").read_text()
    shown = section_of(source)
    assert shown is not None
    golden = normalise(golden_report("unlocked_counter", "broken"))
    assert normalise(shown) == golden
    stale = shown.replace("[write count]", "[read count]", 1)
    edited = with_printed(source, _section(stale))
    assert normalise(section_of(edited) or "") != golden


def test_a_quoted_backslash_or_triple_quote_stays_as_races_printed_it() -> None:
    report = 'Lost error: raised at broken.py:3  `print("a\\n", """b""")`'
    written = with_printed(SOURCE, _section(report))
    assert section_of(written) == report
    namespace: dict[str, object] = {}
    exec(compile(written, "lesson.py", "exec"), namespace)  # the docstring still parses
    assert report in str(namespace["__doc__"]).replace("\n    ", "\n")
