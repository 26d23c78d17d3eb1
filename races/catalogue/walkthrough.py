"""The interleaving a lesson's docstring walks through: the report races prints, generated.

A broken variant the scheduler shows carries, right after its "What goes wrong" section,
a "What races prints" section: the failure's report as ``races run`` prints it (the
cause and its focused interleaving, or the deadlock listing), file paths shown by their
bare names. The prose around it refers to that report instead of typing out its own walk,
so the two cannot disagree. ``races run --write-docstrings`` regenerates the section; a
test checks it against the golden reports.

Writing the section moves the code below the docstring, and with it the lines the report
cites: write it again until nothing changes (twice, unless a line number gained a digit).
"""

from __future__ import annotations

import itertools
import platform
import re
import textwrap
from pathlib import Path

from races.catalogue.case import Case
from races.catalogue.runner import VariantReport, run_variant

PRINTED = "What races prints"
#: The section the printed report follows (when a variant has none: the introduction).
AFTER = "What goes wrong"
INDENT = " " * 4

# A path in a report, up to its file's bare name: `/…/races/cases/x/broken.py:49`.
_PATH = re.compile(r"[^\s(`'\"]*[/\\](?=[\w.-]+\.py:\d)")


def bare_paths(text: str) -> str:
    """``text`` with every ``dir/…/name.py:N`` shown as ``name.py:N``."""
    return _PATH.sub("", text)


def printed_report(report: VariantReport) -> str | None:
    """What ``races run`` prints of a variant's failure, paths bare; None when it printed
    none: a variant shown on real processes, or a run that did not fail."""
    result = report.result
    if result is None or result.failure is None or not result.failure.report:
        return None
    return bare_paths(result.failure.report)


def run_and_print(case: Case, variant: str) -> str | None:
    """Run ``variant`` of ``case`` as ``races run`` does, and return the report it prints
    (``printed_report``); None for a case shown on real processes, without running it."""
    if case.needs is not None:
        return None
    return printed_report(run_variant(case, variant))


def printed_section(case: Case, variant: str, report: str) -> str:
    """The docstring section that shows ``report`` (a failure's report), as ``races run``
    prints it for ``variant``, paths bare."""
    command = f"races run {case.name}"
    if variant != case.broken[0]:
        command += f" --variant {variant}"
    version = ".".join(platform.python_version_tuple()[:2])
    return "\n".join(
        [
            PRINTED,
            "-" * len(PRINTED),
            f"`{command}` finds it and prints (CPython {version}):",
            "",
            textwrap.indent(_as_source(bare_paths(report)), INDENT),
        ]
    )


def _as_source(report: str) -> str:
    """``report`` as docstring source: a backslash in a quoted line would become an escape,
    and three quotes would end the docstring."""
    return report.replace("\\", "\\\\").replace('"""', '\\"""')


def _from_source(text: str) -> str:
    return text.replace('\\"""', '"""').replace("\\\\", "\\")


def _docstring(source: str) -> tuple[int, int]:
    """Where the module docstring's text starts and ends in ``source``."""
    start = end = source.index('"""') + 3
    while True:
        end = source.index('"""', end)
        if (end - len(source[:end].rstrip("\\"))) % 2 == 0:  # not an escaped quote
            return start, end
        end += 1


def _sections(doc: str) -> list[tuple[str, str]]:
    """``doc`` cut before each heading (a title line over a line of dashes), as (title,
    text) pairs; the introduction's title is ""."""
    lines = doc.split("\n")
    starts = [
        i
        for i in range(1, len(lines) - 1)
        if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1])
    ]
    bounds = [0, *starts, len(lines)]
    return [
        (lines[a] if a in starts else "", "\n".join(lines[a:b]).rstrip())
        for a, b in itertools.pairwise(bounds)
    ]


def with_printed(source: str, section: str) -> str:
    """``source`` with ``section`` in its module docstring, right after "What goes wrong"
    (or after the introduction when there is none), replacing an older one; every other
    section is left as it was."""
    start, end = _docstring(source)
    sections = [s for s in _sections(source[start:end]) if s[0] != PRINTED]
    titles = [title for title, _ in sections]
    at = titles.index(AFTER) + 1 if AFTER in titles else 1
    sections.insert(at, (PRINTED, section))
    doc = "\n\n".join(text for _, text in sections)
    return source[:start] + doc + "\n" + source[end:]


def section_of(source: str) -> str | None:
    """The report a docstring's "What races prints" section shows, unindented; None when
    it has none."""
    start, end = _docstring(source)
    for title, text in _sections(source[start:end]):
        if title == PRINTED:
            body = text.split("\n\n", 1)[1] if "\n\n" in text else ""
            return _from_source("\n".join(line.removeprefix(INDENT) for line in body.split("\n")))
    return None


def write_docstring(case: Case, variant: str, report: str) -> tuple[str, bool]:
    """Put ``report`` (a failure's report) into the variant's docstring; returns its path,
    and whether the file changed (the lines the report cites move when the section's
    length does)."""
    path = Path(str(case.module(variant).__file__))
    source = path.read_text()
    written = with_printed(source, printed_section(case, variant, report))
    if written != source:
        path.write_text(written)
    return str(path), written != source
