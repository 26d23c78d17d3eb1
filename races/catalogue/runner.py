"""Running a case: explore each variant, and judge it by the case's declared outcomes.

A broken variant passes when exploration shows a forbidden outcome (the bug); a fix
passes when exploration finds none. An outcome the case did not declare is an error in
the case, never silently accepted.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from races.catalogue.case import Case
from races.catalogue.pool import PartlyDone, run_jobs
from races.core.html import result_section
from races.core.result import Interrupted, Result
from races.runtimes.launch import explore
from races.vocabulary.errors import InternalError
from races.vocabulary.kinds import FORBIDDEN


@dataclass(frozen=True)
class StressEvidence:
    """What a bounded stress showed of a variant the scheduler cannot run."""

    runs: int
    shown_in: int | None  # the run that showed a forbidden outcome, if one did
    detail: str
    stopped: str
    #: Each outcome and how many counted runs had it, the most common first.
    outcomes: tuple[tuple[str, int], ...] = ()

    def bound(self) -> str:
        """How often a fix could still fail, given that none of its runs did (95%)."""
        upper = 1 - 0.05 ** (1 / self.runs)
        return f"0 of {self.runs} runs: p < {upper:.1%} at 95%"


@dataclass
class VariantReport:
    case: Case
    variant: str
    result: Result | None
    seconds: float
    verdict: str  # "bug shown", "bug not shown", "fix holds", "fix fails", "undeclared", "skipped"
    passed: bool
    observed: str
    meaning: str
    stress: StressEvidence | None = None

    @property
    def role(self) -> str:
        return "broken" if self.variant in self.case.broken else "fix"

    def to_dict(self) -> dict[str, Any]:
        """The verdict as plain data: what ``races run --json`` prints for the variant."""
        return {
            "case": self.case.name,
            "variant": self.variant,
            "role": self.role,
            "verdict": self.verdict,
            "as_declared": self.passed,
            "outcome": self.observed or None,
            "meaning": self.meaning,
            "seconds": round(self.seconds, 3),
            "result": None if self.result is None else self.result.to_dict(),
            "stress": None if self.stress is None else dataclasses.asdict(self.stress),
        }

    def render(self) -> str:
        """The story of this variant, for a learner."""
        head = f"{self.case.name}.{self.variant} ({self.role}): {self.verdict}"
        if self.stress is not None:
            return f"{head}\n{self._stress_story(self.stress)}"
        if self.result is None:
            return f"{head}\n  {self.meaning}"
        lines = [head]
        if self.result.failed:
            lines += [f"  outcome {self.observed!r}: {self.meaning}", "", self.result.render()]
            lines.append(f"Or: {self.replay()}")
        else:
            lines.append(f"  {self.result.summary}")
        return "\n".join(lines)

    def replay(self) -> str:
        """The command that replays the variant's failure, or "" when it did not fail."""
        if self.result is None or not self.result.failed:
            return ""
        schedule = str(self.result.schedule)
        return f"races replay {self.case.name} {schedule!r} --variant {self.variant}"

    def _stress_story(self, stress: StressEvidence) -> str:
        why = (self.case.needs or "").split(":")[0]
        how = f"  on real threads and processes ({why}: the scheduler cannot show it)"
        if stress.shown_in is not None:
            return (
                f"{how}\n  {self.case.bug_class}: outcome {self.observed!r} in run "
                f"{stress.shown_in}: {self.meaning}"
                + (f"\n    {stress.detail}" if stress.detail else "")
            )
        if self.role == "fix" and self.passed:
            return f"{how}\n  no forbidden outcome: {stress.bound()}"
        return f"{how}\n  {self.meaning}; {stress.stopped or f'{stress.runs} runs'}"


def run_variant(case: Case, variant: str, **overrides: Any) -> VariantReport:
    """Explore one variant of ``case`` and judge it."""
    broken = variant in case.broken
    missing = case.missing()
    if missing is not None:
        return VariantReport(case, variant, None, 0.0, "skipped", True, "", missing)
    if case.needs is not None:
        return stress_variant(case, variant)
    search = (case.find if broken else case.prove).kwargs()
    search.update({k: v for k, v in overrides.items() if v is not None})
    module = case.module(variant)
    prepare(module)
    start = time.perf_counter()
    try:
        result = explore(
            module.scenario,
            **_points(case, search.pop("granularity", None)),
            max_steps=case.max_steps,
            watch=case.watch,
            exclude=case.exclude,
            **search,
        )
    except Interrupted as stop:
        raise Interrupted(f"{case.name}.{variant}: {stop}", stop.result) from None
    seconds = time.perf_counter() - start
    observed = result.kind.value if result.kind is not None else "ok"
    declared = case.outcomes.get(observed)
    if declared is None:
        return VariantReport(
            case,
            variant,
            result,
            seconds,
            "undeclared",
            False,
            observed,
            f"the case does not declare the outcome {observed!r}: add it to the Case's "
            "outcomes as ACCEPTABLE or FORBIDDEN, or fix the scenario",
        )
    forbidden = declared[0] == FORBIDDEN
    if broken:
        verdict = "bug shown" if forbidden else "bug not shown"
        passed = forbidden
    else:
        verdict = "fix fails" if forbidden else "fix holds"
        passed = not forbidden
    return VariantReport(case, variant, result, seconds, verdict, passed, observed, declared[1])


def _points(case: Case, granularity: str | None) -> dict[str, Any]:
    """``explore``'s runtime and granularity for a case (the command line may ask for
    another granularity of threads)."""
    if case.runtime != "threads":
        return {"runtime": case.runtime}
    return {"runtime": "threads", "granularity": granularity or case.granularity}


def prepare(module: ModuleType) -> None:
    """Call the variant's ``setup()``, if it has one, before it is explored: what must exist
    before the program runs (a server) is started outside the scheduler, in real time."""
    setup = getattr(module, "setup", None)
    if callable(setup):
        setup()


def stress_variant(case: Case, variant: str) -> VariantReport:
    """Show a variant the scheduler cannot run on real threads and processes, bounded:
    a broken variant until its first forbidden outcome, a fix a fixed number of times."""
    import math
    from collections import Counter

    from races.stress.histogram import forbidden_outcomes, settings_for
    from races.stress.sweep import StressInterrupted, stress

    broken = variant in case.broken
    module = case.module(variant)
    entry = "stress" if callable(getattr(module, "stress", None)) else "scenario"
    forbidden = forbidden_outcomes(case.outcomes)
    settings = settings_for(getattr(module, entry))  # both start methods, for processes
    start = time.perf_counter()
    try:
        histograms = stress(
            f"{module.__name__}:{entry}",
            runs=math.ceil(case.stress_runs / len(settings)),
            settings=settings,
            timeout=case.stress_timeout,
            max_hangs=1,
            stop_on=forbidden if broken else (),
        )
    except StressInterrupted as stop:
        done = sum(len(h.runs) for h in stop.histograms)
        raise KeyboardInterrupt(
            f"interrupted while showing {case.name}.{variant} on real processes, after "
            f"{done} of {case.stress_runs} runs"
        ) from None
    seconds = time.perf_counter() - start
    runs = [run for histogram in histograms for run in histogram.runs]
    stopped = "; ".join(f"{h.setting}: {h.stopped}" for h in histograms if h.stopped)
    bad = next((i for i, r in enumerate(runs) if r.outcome not in ("ok",)), None)
    counted = Counter(run.outcome for histogram in histograms for run in histogram.evidence)
    evidence = StressEvidence(
        len(runs),
        None if bad is None else bad + 1,
        "" if bad is None else runs[bad].detail,
        stopped,
        tuple(counted.most_common()),
    )
    observed = "ok" if bad is None else runs[bad].outcome
    declared_as = "deadlock" if observed == "hang" and "deadlock" in case.outcomes else observed
    if declared_as == "hang":
        declared_as = "stuck thread"
    declared = case.outcomes.get(declared_as)

    def report(verdict: str, passed: bool, meaning: str) -> VariantReport:
        return VariantReport(
            case, variant, None, seconds, verdict, passed, observed, meaning, evidence
        )

    if declared is None:
        return report(
            "undeclared",
            False,
            f"the case does not declare the outcome {observed!r} "
            f"({runs[bad].detail if bad is not None else ''}): add it to the Case's outcomes",
        )
    if broken:
        shown = observed in forbidden
        return report("bug shown" if shown else "bug not shown", shown, declared[1])
    holds = observed not in forbidden
    return report("fix holds" if holds else "fix fails", holds, declared[1])


def run_case(
    case: Case, variants: tuple[str, ...] | None = None, **overrides: Any
) -> list[VariantReport]:
    return [run_variant(case, v, **overrides) for v in (variants or case.variants)]


@dataclass(frozen=True)
class Row:
    """A variant's line in the summary: plain data, so it can come back from a worker process."""

    case: str
    variant: str
    role: str
    observed: str
    verdict: str
    passed: bool
    schedules: str
    seconds: float
    story: str
    #: The same as plain data, for ``races run --json``.
    data: dict[str, Any] = field(default_factory=dict)
    #: The failure's report (``Failure.report``), for ``races run --write-docstrings``.
    failure_report: str = ""
    #: The result as part of an HTML page, for ``races run --html`` (made in the worker,
    #: where the result is).
    html: str = ""

    @classmethod
    def of(cls, report: VariantReport) -> Row:
        schedules = "-" if report.result is None else str(report.result.schedules)
        failure = None if report.result is None else report.result.failure
        if report.stress is not None:
            schedules = f"{report.stress.runs} real run{'s' if report.stress.runs != 1 else ''}"
        return cls(
            report.case.name,
            report.variant,
            report.role,
            report.observed or "-",
            report.verdict,
            report.passed,
            schedules,
            report.seconds,
            report.render(),
            report.to_dict(),
            "" if failure is None else failure.report,
            "" if report.result is None else result_section(report.result, 3, report.replay()),
        )


def summary_table(rows: list[Row]) -> str:
    """One line per variant: the jcstress-style table that ends a run."""
    table = [("case", "variant", "role", "outcome", "verdict", "schedules", "time")]
    for r in rows:
        table.append(
            (r.case, r.variant, r.role, r.observed, r.verdict, r.schedules, f"{r.seconds:.2f}s")
        )
    rows_ = table
    widths = [max(len(row[i]) for row in rows_) for i in range(len(rows_[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows_
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _run_job(job: tuple[str, str, dict[str, Any]]) -> Row:
    """Run one variant (in a worker process) and return its plain summary row."""
    from races.catalogue.registry import load_catalogue

    name, variant, options = job
    case = load_catalogue().get(name)
    try:
        return Row.of(run_variant(case, variant, **options))
    except InternalError as exc:
        # races failed, not the lesson: say so on its row, and let the other variants run.
        role = "broken" if variant in case.broken else "fix"
        story = f"{name}.{variant} ({role}): internal error\n  races: internal error: {exc}"
        return Row(name, variant, role, "-", "internal error", False, "-", 0.0, story)


def _longest_first(cases: dict[str, Case], jobs: Sequence[tuple[str, str]]) -> list[int]:
    """Job indexes, the slowest kinds first, so that no long job starts last: fixes shown
    on real processes (a fixed number of runs), then their broken variants, then the rest."""

    def cost(i: int) -> int:
        case = cases[jobs[i][0]]
        if case.needs is None:
            return 0
        return 2 if jobs[i][1] in case.fixes else 1

    return sorted(range(len(jobs)), key=lambda i: -cost(i))


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during ``run_all``: ``rows`` are the variants that had finished."""

    def __init__(self, rows: list[Row]) -> None:
        super().__init__(f"interrupted after {len(rows)} variant(s)")
        self.rows = rows


def run_all(
    cases: dict[str, Case],
    jobs: Sequence[tuple[str, str]],
    options: dict[str, Any],
    workers: int,
    on_progress: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Run every (case, variant) job, in parallel when ``workers`` > 1; rows in job order.
    ``on_progress`` is given each row as its variant finishes (``races run``'s progress).

    Ctrl-C stops every worker at once and raises ``RunInterrupted`` with the rows that
    had finished.
    """
    on_done = None if on_progress is None else lambda _, row: on_progress(row)
    try:
        return run_jobs(
            _run_job,
            [(*job, options) for job in jobs],
            workers,
            _longest_first(cases, jobs),
            on_done,
        )
    except PartlyDone as stop:
        raise RunInterrupted([stop.results[i] for i in sorted(stop.results)]) from None


def default_workers() -> int:
    return os.cpu_count() or 1
