"""The stress campaign: every case on real threads, beside what the scheduler needed.

One row per variant. For a broken variant: the share of counted runs that showed a
forbidden outcome under each setting, and how many schedules the scheduler needed to
show it (it needs one, every time, where stress may need thousands or never succeed).
For a fix: how many runs showed a forbidden outcome, which must be none.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from races.catalogue.pool import run_jobs
from races.stress.histogram import (
    DEFAULT_INTERVAL,
    DEFAULT_SETTINGS,
    METHOD_SETTINGS,
    Setting,
    settings_for,
)
from races.stress.sweep import stress


@dataclass(frozen=True)
class CampaignRow:
    case: str
    variant: str
    broken: bool
    cells: tuple[str, ...]  # one per setting measured
    forbidden_seen: int
    scheduler: str
    #: For tasks and greenlets, which never preempt (real switching changes nothing):
    #: what each search needed instead, as (search, result) pairs.
    searches: tuple[tuple[str, str], ...] = ()
    #: The settings the cells are for, by name: switch intervals and noise for threads,
    #: start methods for processes.
    settings: tuple[str, ...] = ()


def _row(
    name: str, variant: str, runs: int, timeout: float, settings: Sequence[Setting]
) -> CampaignRow:
    from races.catalogue.registry import load_catalogue
    from races.catalogue.runner import run_variant

    case = load_catalogue().get(name)
    if case.runtime != "threads" and case.needs is None:
        return _scheduled_row(case, variant, settings)
    module = case.module(variant)
    entry = "stress" if callable(getattr(module, "stress", None)) else "scenario"
    if settings_for(getattr(module, entry)) is METHOD_SETTINGS:
        settings = METHOD_SETTINGS  # processes: each start method apart, no switch interval
    histograms = stress(
        f"{module.__name__}:{entry}", runs=runs, settings=settings, timeout=timeout, max_hangs=2
    )
    forbidden = case.forbidden() | (
        {"hang"} if case.forbidden() & {"deadlock", "stuck thread"} else set()
    )
    broken = variant in case.broken
    cells = []
    seen = 0
    for h in histograms:
        evidence = h.evidence
        bad = sum(r.outcome in forbidden for r in evidence)
        seen += bad
        cells.append(_cell(bad, len(evidence), len(h.runs), h.stopped))
    if case.needs is not None:
        scheduler = "cannot: " + case.needs.split(":")[0]
    else:
        report = run_variant(case, variant)
        scheduler = (
            f"{report.result.found_after} schedule(s)"
            if broken and report.result and report.result.failed
            else f"{report.verdict}"
        )
    labels = tuple(_short(h.setting) for h in histograms)
    return CampaignRow(name, variant, broken, tuple(cells), seen, scheduler, settings=labels)


#: The searches a task or greenlet lesson is measured with, beside its default order.
SEARCHES = (
    ("random", {"strategy": "random"}),
    ("pct", {"strategy": "pct"}),
    ("dpor", {"strategy": "dpor"}),
)


def _scheduled_row(case: Any, variant: str, settings: Sequence[Setting]) -> CampaignRow:
    """Tasks and greenlets switch only where they wait: the real runtime takes one order,
    the default one. Measure whether that order shows the bug, and how many schedules each
    search needs."""
    from races.runtimes.launch import explore

    module = case.module(variant)
    broken = variant in case.broken

    points: dict[str, Any] = {"granularity": "greenlet"} if case.runtime == "gevent" else {}

    def search(**how: Any) -> Any:
        return explore(
            module.scenario,
            runtime=case.runtime,
            **points,
            max_steps=case.max_steps,
            watch=case.watch,
            exclude=case.exclude,
            seed=0,
            **how,
        )

    default = search(strategy="dfs", budget=1)
    searches = [
        (
            "default order",
            f"shown ({default.kind})" if default.failed else "not shown",
        )
    ]
    found = 0
    for label, how in SEARCHES:
        result = search(budget=500, **how)
        found += result.failed
        searches.append(
            (
                f"{label}, seed 0" if label in ("random", "pct") else label,
                f"{result.found_after} schedule(s)"
                if result.failed
                else f"not shown in {result.schedules} schedule(s)",
            )
        )
    cells = tuple("never preempts" for _ in settings)
    scheduler = searches[1][1] if broken else ("fix holds" if not found else "fix fails")
    labels = tuple(_short(s) for s in settings)
    return CampaignRow(case.name, variant, broken, cells, found, scheduler, tuple(searches), labels)


def _cell(bad: int, counted: int, made: int, stopped: str) -> str:
    """One setting's result in words: how many counted runs showed the forbidden outcome,
    and the stop rule that ended it early (a hang, a time budget), never a bare share."""
    if not counted:
        text = f"no run counted ({made} made, none with overlapping threads)"
    else:
        text = f"{bad} of {counted} counted runs ({bad / counted:.0%})"
    stop = stopped.split(",")[0] if stopped else ""
    return f"{text}; {stop}" if stop else text


def _row_of(job: tuple[str, str, int, float, Sequence[Setting]]) -> CampaignRow:
    return _row(*job)


def campaign(
    cases: Sequence[tuple[str, str]],
    runs: int,
    timeout: float,
    jobs: int,
    settings: Sequence[Setting] = DEFAULT_SETTINGS,
) -> list[CampaignRow]:
    """One row per (case, variant), in ``jobs`` processes; Ctrl-C raises ``PartlyDone``."""
    return run_jobs(_row_of, [(c, v, runs, timeout, settings) for c, v in cases], jobs)


def table(rows: Sequence[CampaignRow]) -> str:
    """One line per variant, a column per setting any row measured ("-" where a row's
    setting does not apply: start methods for threads, switch intervals for processes)."""
    columns = list(dict.fromkeys(label for r in rows for label in r.settings))
    header = ("case", "variant", *columns, "scheduler")
    lines = [header]
    for r in rows:
        by_setting = dict(zip(r.settings, r.cells, strict=True))
        lines.append((r.case, r.variant, *(by_setting.get(c, "-") for c in columns), r.scheduler))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _short(setting: Setting) -> str:
    if setting.params and setting.params[0][0] == "method":
        return f"{setting.params[0][1]}"
    if setting.noise:
        return f"noise {setting.noise:g}"
    if setting.interval == DEFAULT_INTERVAL:
        return "default switching"
    return f"{setting.interval * 1e6:g} us switching"


MEASURED = "Measured on a real interpreter"


def measured_section(
    row: CampaignRow, runs: int, settings: Sequence[Setting] = DEFAULT_SETTINGS
) -> str:
    """The docstring section that reports a broken variant's stress numbers."""
    import platform

    if row.searches:
        return "\n".join(
            [
                MEASURED,
                "-" * len(MEASURED),
                f"`races stress --all`, CPython {platform.python_version()}: "
                + ("tasks" if "await" in _granularity(row.case) else "greenlets")
                + " switch only where they wait,",
                "so real switch intervals and noise change nothing, and the real runtime takes",
                "one order, the default one. What each search needed to show the bug:",
                "",
                _line("search", "result"),
                *(_line(label, result) for label, result in row.searches),
            ]
        )
    lines = [
        MEASURED,
        "-" * len(MEASURED),
        f"`races stress`, at most {runs} runs per setting, CPython "
        f"{platform.python_version()}, {os.cpu_count()} cores; runs whose threads never",
        "overlapped are not counted, and a setting stops early after two hangs:",
        "",
        _line("setting", "forbidden outcome in"),
        *(
            _line(label, cell)
            for label, cell in zip(
                row.settings or [_short(s) for s in settings], row.cells, strict=True
            )
        ),
        _line(SCHEDULER, row.scheduler),
    ]
    return "\n".join(lines)


SCHEDULER = "the scheduler"


def _line(label: str, text: str) -> str:
    """A row of a measured section's table: at least two spaces after the label, however
    long, so that ``measured_numbers`` can split it."""
    return f"    {label:<20}  {text}"


@dataclass(frozen=True)
class MeasuredSetting:
    """One setting's row of a docstring's measured numbers (``_cell`` wrote it)."""

    label: str
    forbidden: int  # counted runs that showed a forbidden outcome
    counted: int
    made: int | None  # runs made: stated only when none counted
    stopped: str  # the stop rule that ended the setting early, or ""

    @property
    def share(self) -> float:
        return self.forbidden / self.counted if self.counted else 0.0


@dataclass(frozen=True)
class MeasuredNumbers:
    """The stress numbers a broken module's docstring states (``measured_section``)."""

    runs: int  # at most, per setting
    python: str  # CPython's version, "3.11.7"
    cores: str
    settings: tuple[MeasuredSetting, ...]
    scheduler: str  # what the scheduler needed, "7 schedule(s)"


# What ``measured_section``'s first line and ``_cell`` write, read back; a test writes
# numbers with ``write_docstring`` and checks that these read the same numbers.
_HEAD = re.compile(
    r"`races stress`, at most (?P<runs>\d+) runs per setting, CPython (?P<python>\S+), "
    r"(?P<cores>\S+) cores;"
)
_CELL = re.compile(
    r"(?:no run counted \((?P<made>\d+) made, none with overlapping threads\)"
    r"|(?P<forbidden>\d+) of (?P<counted>\d+) counted runs \(\d+%\))(?:; (?P<stopped>.+))?"
)


def measured_numbers(doc: str) -> MeasuredNumbers | None:
    """The numbers ``measured_section`` wrote into ``doc`` (a module's docstring); None
    when it states none, or only what the searches needed (tasks and greenlets never
    preempt: they have no settings). A row it cannot read is a ValueError naming it."""
    if MEASURED not in doc:
        return None
    lines = doc[doc.index(MEASURED) :].splitlines()
    head = next((m for m in map(_HEAD.match, lines) if m), None)
    if head is None:
        return None
    rows = [line.strip() for line in lines]
    header = _line("setting", "forbidden outcome in").strip()
    if header not in rows:
        raise ValueError(f"measured numbers without their table: {lines[0:5]}")
    settings = []
    scheduler = ""
    for row in rows[rows.index(header) + 1 :]:
        if not row:
            break
        label, text = re.split(r"\s{2,}", row, maxsplit=1)
        if label == SCHEDULER:
            scheduler = text
            continue
        cell = _CELL.fullmatch(text)
        if cell is None:
            raise ValueError(f"unreadable row of measured numbers: {row!r}")
        made = cell["made"]
        settings.append(
            MeasuredSetting(
                label,
                int(cell["forbidden"] or 0),
                int(cell["counted"] or 0),
                None if made is None else int(made),
                cell["stopped"] or "",
            )
        )
    return MeasuredNumbers(
        int(head["runs"]), head["python"], head["cores"], tuple(settings), scheduler
    )


def with_measured(source: str, section: str) -> str:
    """``source`` with its module docstring ending in ``section`` (replacing an older one)."""
    end = source.index('"""', 3)
    doc = source[:end]
    if MEASURED in doc:
        doc = doc[: doc.index(MEASURED)]
    return doc.rstrip() + "\n\n" + section + "\n" + source[end:]


def write_docstring(
    row: CampaignRow, runs: int, settings: Sequence[Setting] = DEFAULT_SETTINGS
) -> str:
    """Put this row's numbers at the end of the broken module's docstring; returns its path.

    Each campaign replaces the section, so the numbers are those of the last measurement.
    """
    import importlib

    path = str(importlib.import_module(f"{_package(row.case)}.{row.variant}").__file__)
    with open(path) as f:
        source = f.read()
    with open(path, "w") as f:
        f.write(with_measured(source, measured_section(row, runs, settings)))
    return path


def _granularity(case: str) -> str:
    from races.catalogue.registry import load_catalogue

    return load_catalogue().get(case).granularity


def _package(case: str) -> str:
    from races.catalogue.registry import load_catalogue

    return load_catalogue().get(case).package
