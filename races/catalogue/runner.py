"""Running a case: explore each variant, and judge it by the case's declared outcomes.

A broken variant passes when exploration shows a forbidden outcome (the bug); a fix
passes when exploration finds none. An outcome the case did not declare is an error in
the case, never silently accepted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import races
from races.catalogue.case import FORBIDDEN, Case
from races.result import Result


@dataclass
class VariantReport:
    case: Case
    variant: str
    result: Result | None
    seconds: float
    verdict: str  # "bug shown", "bug missed", "fix holds", "fix fails", "undeclared", "skipped"
    passed: bool
    observed: str
    meaning: str

    @property
    def role(self) -> str:
        return "broken" if self.variant in self.case.broken else "fix"

    def render(self) -> str:
        """The story of this variant, for a learner."""
        head = f"{self.case.name}.{self.variant} ({self.role}): {self.verdict}"
        if self.result is None:
            return f"{head}\n  {self.meaning}"
        lines = [head]
        if self.result.failed:
            lines += [f"  outcome {self.observed!r}: {self.meaning}", "", self.result.render()]
            lines.append(
                f"Or: races replay {self.case.name} {str(self.result.schedule)!r} "
                f"--variant {self.variant}"
            )
        else:
            lines.append(f"  {self.result.summary}")
        return "\n".join(lines)


def run_variant(case: Case, variant: str, **overrides: Any) -> VariantReport:
    """Explore one variant of ``case`` and judge it."""
    broken = variant in case.broken
    if case.needs is not None:
        return VariantReport(case, variant, None, 0.0, "skipped", True, "", case.needs)
    missing = case.missing()
    if missing is not None:
        return VariantReport(case, variant, None, 0.0, "skipped", True, "", missing)
    search = (case.find if broken else case.prove).kwargs()
    search.update({k: v for k, v in overrides.items() if v is not None})
    module = case.module(variant)
    start = time.perf_counter()
    result = races.explore(
        module.scenario,
        granularity=search.pop("granularity", case.granularity),
        max_steps=case.max_steps,
        watch=case.watch,
        **search,
    )
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
        verdict = "bug shown" if forbidden else "bug missed"
        passed = forbidden
    else:
        verdict = "fix fails" if forbidden else "fix holds"
        passed = not forbidden
    return VariantReport(case, variant, result, seconds, verdict, passed, observed, declared[1])


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

    @classmethod
    def of(cls, report: VariantReport) -> Row:
        schedules = "-" if report.result is None else str(report.result.schedules)
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
