"""Golden reports: what ``races run`` prints for each lesson the scheduler shows.

Each broken variant's report is pinned in ``tests/golden/<python>/<case>.<variant>.txt``,
normalised for paths and timings (step numbers and schedules differ between Python
versions, so each version has its own files). A report must fit one screen and, where the
access model or the diagnosis can tell, lead with its named pattern.

To accept a deliberate change: ``RACES_UPDATE_GOLDEN=1 pytest tests/test_reports.py`` on
each Python, then read the diff.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from races.catalogue import load_catalogue
from races.catalogue.runner import run_variant

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / f"{sys.version_info[0]}.{sys.version_info[1]}"
UPDATE = os.environ.get("RACES_UPDATE_GOLDEN") == "1"
SCREEN = 25

CATALOGUE = load_catalogue()
LESSONS = [
    (case, variant)
    for case in CATALOGUE.ordered()
    if case.needs is None and case.origin == "builtin"
    for variant in case.broken
]


def normalise(text: str) -> str:
    """The report without what varies between machines: paths, durations, how many
    replays shrinking took, and the length of a trace it does not show."""
    text = text.replace(str(ROOT), "<races>")
    text = re.sub(r"\d+\.\d+ s\b", "<t> s", text)
    text = re.sub(r"shrunk in \d+ replays?", "shrunk in <n> replays", text)
    # The length of a trace whose end the report does not show: a thread pool's shutdown
    # may block once more, or not, after the last step that matters.
    text = re.sub(r"(preemptions?|order), \d+ steps\): render", r"\1, <n> steps): render", text)
    return re.sub(r"\bat 0x[0-9a-f]+", "at 0x<id>", text)


@pytest.mark.parametrize(("case", "variant"), LESSONS, ids=lambda x: getattr(x, "name", x))
def test_report_matches_its_golden_file(case, variant) -> None:  # type: ignore[no-untyped-def]
    missing = case.missing()
    if missing is not None:
        pytest.fail(f"{case.name} needs {missing}: install the project's test extras")
    report = run_variant(case, variant, shrink_time=600)  # never cut short by a slow machine
    assert report.passed, report.render()
    assert report.result is not None and report.result.failure is not None
    assert report.result.failure.pattern, f"{case.name}'s report names no pattern"
    text = normalise(report.render()) + "\n"
    assert len(text.splitlines()) <= SCREEN, text
    golden = GOLDEN / f"{case.name}.{variant}.txt"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no golden report {golden}: run with RACES_UPDATE_GOLDEN=1"
    assert text == golden.read_text()
