"""What stress runs produced: each run's outcome, and a setting's histogram with verdicts.

jcstress-style: each outcome's count and share among the runs that count as evidence (their
threads overlapped, or they hung), with the verdict the case declares for it, and the stop
rule that ended the setting, in words.
"""

from __future__ import annotations

import inspect
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from races.vocabulary.kinds import FORBIDDEN

DEFAULT_INTERVAL = sys.getswitchinterval()


@dataclass(frozen=True)
class Setting:
    """One stress configuration."""

    interval: float = DEFAULT_INTERVAL
    noise: float = 0.0
    params: tuple[tuple[str, int | str], ...] = ()  # keyword arguments for the target

    def __str__(self) -> str:
        if self.params and self.params[0][0] == "method" and not self.noise:
            # A process lesson's setting: its start method; switch intervals are threads'.
            return f"start method {self.params[0][1]}"
        interval = (
            "default switch interval"
            if self.interval == DEFAULT_INTERVAL
            else (f"switch interval {self.interval * 1e6:g} us")
        )
        noise = f", noise {self.noise:g}" if self.noise else ""
        params = "".join(f", {name}={value}" for name, value in self.params)
        return interval + noise + params


DEFAULT_SETTINGS = (Setting(), Setting(interval=1e-6), Setting(noise=0.01))
#: A process lesson's settings: its ``stress(method)`` under each start method apart.
METHOD_SETTINGS = (Setting(params=(("method", "fork"),)), Setting(params=(("method", "spawn"),)))


def settings_for(target: Callable[..., object]) -> tuple[Setting, ...]:
    """The settings that mean something for a stress target: the start methods for one
    that takes ``method`` (processes), switch intervals and noise for threads."""
    if "method" in inspect.signature(target).parameters:
        return METHOD_SETTINGS
    return DEFAULT_SETTINGS


@dataclass
class RunResult:
    outcome: str
    overlap: bool
    seconds: float
    detail: str = ""
    threads: int = 0

    @property
    def counts_as_evidence(self) -> bool:
        """Its threads ran at the same time, it hung, or it had no threads to overlap."""
        return self.overlap or self.outcome == "hang" or self.threads < 2


@dataclass
class Histogram:
    """The outcomes of every run of one setting."""

    setting: Setting
    planned: int = 0
    runs: list[RunResult] = field(default_factory=list)
    seconds: float = 0.0
    hang_reports: list[str] = field(default_factory=list)
    children: list[int] = field(default_factory=list)  # pids, all waited for
    #: Why it ended before ``planned`` runs, in words (the stop rule that applied), or "".
    stopped: str = ""

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.outcome for r in self.runs)

    @property
    def evidence(self) -> list[RunResult]:
        """Runs that count: their threads overlapped, or they hung."""
        return [r for r in self.runs if r.counts_as_evidence]

    def to_dict(self) -> dict[str, object]:
        """The histogram as plain data: its setting, runs made and counted, each outcome's
        count by value, and the stop rule that ended it ("" when none did)."""
        return {
            "setting": str(self.setting),
            "runs": len(self.runs),
            "counted": len(self.evidence),
            "outcomes": {label: count for label, _, count in _by_value(self.evidence)},
            "stopped": self.stopped,
            "seconds": round(self.seconds, 3),
        }

    def share(self, outcome: str) -> float:
        evidence = self.evidence
        return sum(r.outcome == outcome for r in evidence) / len(evidence) if evidence else 0.0

    def render(self, verdicts: Mapping[str, str] | None = None) -> str:
        """jcstress's table: each observed outcome by its value where the run said one
        (the assertion's message, `count is 3: 1 decrement lost`), its count, share and
        verdict."""
        evidence = self.evidence
        rows = _by_value(evidence)
        width = max([18, *(len(label) + 2 for label, _, _ in rows)])
        lines = [f"  {self.setting}"]
        lines.append(f"    {'outcome':<{width}}{'count':>7}{'share':>8}  verdict")
        for label, outcome, count in rows:
            verdict = (verdicts or {}).get(outcome, "")
            lines.append(f"    {label:<{width}}{count:>7}{count / len(evidence):>8.1%}  {verdict}")
        dropped = len(self.runs) - len(evidence)
        note = f"; {dropped} run(s) without overlapping threads not counted" if dropped else ""
        if self.stopped:
            note += f"; {self.stopped}"
        lines.append(
            f"    {len(evidence)} of {len(self.runs)} runs counted{note}; {self.seconds:.1f} s"
        )
        return "\n".join(lines)


#: How many distinct values of one outcome a table lists before it sums up the rest.
VALUES_SHOWN = 5


def _by_value(runs: Sequence[RunResult]) -> list[tuple[str, str, int]]:
    """(label, outcome, count) rows, most common first: an outcome split by the value its
    runs reported, the rarest values of an outcome summed up in one row."""
    counts = Counter((r.outcome, _value(r)) for r in runs)
    rows: list[tuple[str, str, int]] = []
    shown: Counter[str] = Counter()
    rest: Counter[str] = Counter()
    for (outcome, value), count in counts.most_common():
        if shown[outcome] < VALUES_SHOWN:
            shown[outcome] += 1
            rows.append((f"{outcome}: {value}" if value else outcome, outcome, count))
        else:
            rest[outcome] += count
    for outcome, count in rest.items():
        rows.append((f"{outcome}: other values", outcome, count))
    return rows


def _value(run: RunResult) -> str:
    """What a failed run reported, short: the assertion's message, the exception."""
    if run.outcome == "ok" or not run.detail:
        return ""
    text = run.detail.splitlines()[0]
    return text if len(text) <= 48 else text[:45] + "..."


def verdicts_for(outcomes: Mapping[str, tuple[str, str]], broken: bool) -> dict[str, str]:
    """jcstress verdicts from a case's declared outcomes: a forbidden outcome is
    *interesting* when the broken variant shows it. A hang is a deadlock or a stuck
    thread, whichever the case declares."""
    result = {}
    for name, (verdict, _) in outcomes.items():
        result[name] = (
            ("interesting" if broken else "FORBIDDEN") if verdict == FORBIDDEN else "acceptable"
        )
    for hang_like in ("deadlock", "stuck thread"):
        if hang_like in outcomes:
            result["hang"] = result[hang_like]
    return result


def forbidden_outcomes(outcomes: Mapping[str, tuple[str, str]]) -> frozenset[str]:
    """The stress outcomes a case forbids: its forbidden kinds, and a hang where it
    forbids a deadlock or a stuck thread (a real one hangs)."""
    forbidden = {name for name, (verdict, _) in outcomes.items() if verdict == FORBIDDEN}
    if forbidden & {"deadlock", "stuck thread"}:
        forbidden.add("hang")
    return frozenset(forbidden)


def render(
    title: str, histograms: Sequence[Histogram], verdicts: Mapping[str, str] | None = None
) -> str:
    return "\n".join([title, *(h.render(verdicts) for h in histograms)])


def verdict(
    variant: str, histograms: Sequence[Histogram], forbidden: frozenset[str], broken: bool
) -> tuple[str, bool]:
    """The verdict on one variant's stress, in one line, and whether it is as declared:
    a broken variant must show a forbidden outcome (``forbidden_outcomes``) in some
    setting, a fix none in any."""
    bad = forbidden
    runs = sum(len(h.evidence) for h in histograms)
    tried = "; ".join(str(h.setting) for h in histograms)
    seen = [(h, r) for h in histograms for r in h.evidence if r.outcome in bad]
    if broken:
        if seen:
            h, r = seen[0]
            return f"{variant}: bug shown ({r.outcome}, {h.setting})", True
        declared = " or ".join(sorted(forbidden - {"hang"}) or ["hang"])
        return (
            f"{variant}: bug not shown: no {declared} in {runs} counted runs ({tried})",
            False,
        )
    if seen:
        h, r = seen[0]
        return f"{variant}: fix fails ({r.outcome}, {h.setting})", False
    return f"{variant}: fix holds in {runs} counted runs ({tried})", True
