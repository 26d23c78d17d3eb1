"""The catalogue as pages: one per lesson, an index of every lesson run with its verdicts,
and the histograms of ``races stress``.

``races run --html DIR`` writes the lessons' pages. A lesson's page shows, top to bottom,
its teaching text (the broken variant's docstring), the broken code and each fix side by
side with the lines that differ marked, then what each variant did: its verdict, the
failing interleaving as swimlanes (``races.core.html``), the line that replays it, and a
bar chart with the verdict of each bar: for a variant shown on real processes, the
outcomes of its runs; for one the scheduler shows, the numbers its docstring states
(``races stress`` measured them on real threads). Pages are built from a run's rows,
which are plain data: the swimlanes were drawn in the worker process that ran the variant.

``races stress CASE --html FILE`` writes one page: for each variant and setting, its
outcomes as a bar chart with the verdict of each, and the runs made and counted.
"""

from __future__ import annotations

import difflib
import inspect
import os
import platform
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, cast

from races.catalogue.case import Case
from races.catalogue.runner import Row
from races.catalogue.source import code_only
from races.core.html import e, inline_code, page
from races.stress.campaign import MeasuredNumbers, measured_numbers
from races.stress.histogram import Histogram, verdicts_for

STYLE = """
nav { font-size: .9em; }
.meta { color: var(--dim); }
.badge { display: inline-block; padding: 0 .5em; border-radius: 3px; font-size: .85em;
  font-weight: 600; white-space: nowrap; border: 1px solid currentColor; }
.badge.as-declared { color: var(--green); }
.badge.not-as-declared { color: var(--red); }
.badge.skipped { color: var(--dim); }
.table { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: .92em; }
th, td { text-align: left; padding: .3em .7em .3em 0; border-bottom: 1px solid var(--rule);
  vertical-align: top; overflow-wrap: normal; }
.code { display: flex; flex-wrap: wrap; gap: 1em; }
.code > div { flex: 1 1 24em; min-width: 0; }
.code pre { margin: 0; }
.code .file { font-weight: 600; font-size: .9em; margin-bottom: .2em; }
.code .line { display: block; min-height: 1.4em; padding: 0 .3em; }
.code .removed { background: var(--red-wash); }
.code .added { background: #e3f4e8; }
.code .changed { background: #fff3d6; }
.code .filler { background: repeating-linear-gradient(45deg, transparent 0 4px,
  var(--rule) 4px 5px); }
.chart text { font: 13px system-ui, sans-serif; fill: var(--ink); }
.chart .bar.acceptable rect { fill: #8fb99d; }
.chart .bar.interesting rect { fill: #e0a44a; }
.chart .bar.forbidden rect { fill: #d9534f; }
.chart .bar.undeclared rect { fill: #9aa5b1; }
.chart .verdict { font-weight: 600; }
"""

#: The colours a bar takes, by the verdict ``verdicts_for`` gives its outcome.
BAR_CLASS = {"acceptable": "acceptable", "interesting": "interesting", "FORBIDDEN": "forbidden"}


def write_pages(directory: Path, cases: Mapping[str, Case], rows: Sequence[Row]) -> list[Path]:
    """Write a page per lesson that ``rows`` ran, and ``index.html`` listing them with
    their verdicts, into ``directory`` (made if missing); the paths written, index last."""
    directory.mkdir(parents=True, exist_ok=True)
    by_case: dict[str, list[Row]] = {}
    for row in rows:
        by_case.setdefault(row.case, []).append(row)
    written = []
    for name, lesson_rows in by_case.items():
        path = directory / page_name(name)
        path.write_text(lesson_page(cases[name], lesson_rows, set(by_case)), encoding="utf-8")
        written.append(path)
    index = directory / "index.html"
    index.write_text(index_page([(cases[n], r) for n, r in by_case.items()]), encoding="utf-8")
    written.append(index)
    return written


def page_name(case: str) -> str:
    return f"{case}.html"


def lesson_page(case: Case, rows: Sequence[Row], pages: Collection[str] = ()) -> str:
    """One lesson's page from the rows of its variants; ``pages`` are the lessons with a
    page beside this one (its "see also" links, and the index)."""
    body = []
    if pages:
        body.append('<nav><a href="index.html">All lessons</a></nav>')
    body.append(f"<h1>{inline_code(case.title)}</h1>")
    meta = [f"bug class: {e(case.bug_class)}"]
    if case.primitives:
        meta.append("primitives: " + ", ".join(f"<code>{e(p)}</code>" for p in case.primitives))
    meta.append(f"shown by: {e(shown_by(case))}")
    if case.related:
        meta.append("see also: " + ", ".join(_link(name, pages) for name in case.related))
    body.append(f'<p class="meta">{"; ".join(meta)}</p>')
    body.append(verdict_table(rows, links=False))
    missing = case.missing()
    if missing is not None:
        body.append(f"<p>{e(case.name)} {e(missing)}.</p>")
    else:
        body.append("<h2>The lesson</h2>")
        body.append(prose(inspect.cleandoc(case.module(case.broken[0]).__doc__ or "")))
        body.append("<h2>The code, broken and fixed</h2>")
        body.append(comparisons(case))
    body.append("<h2>Outcomes</h2>")
    body.append(outcome_table(case))
    for row in rows:
        body.append(variant_section(case, row))
    return page(f"races: {case.title}", "\n".join(body), STYLE)


def shown_by(case: Case) -> str:
    if case.needs is not None:
        return "real " + case.needs.split(":")[0]
    return {"asyncio": "the scheduler, tasks", "gevent": "the scheduler, greenlets"}.get(
        case.runtime, "the scheduler, threads"
    )


def _link(name: str, pages: Collection[str]) -> str:
    if name in pages:
        return f'<a href="{e(page_name(name))}">{e(name)}</a>'
    return f"<code>{e(name)}</code>"


def badge(row: Row) -> str:
    return verdict_badge(row.verdict, row.passed)


def verdict_badge(verdict: str, as_declared: bool) -> str:
    kind = "as-declared" if as_declared else "not-as-declared"
    if verdict == "skipped":
        kind = "skipped"
    return f'<span class="badge {kind}">{e(verdict)}</span>'


def verdict_table(rows: Sequence[Row], links: bool) -> str:
    head = "<tr><th>variant</th><th>role</th><th>outcome</th><th>verdict</th>"
    head += "<th>schedules</th><th>time</th></tr>"
    body = []
    for row in rows:
        name = e(row.variant)
        if links:
            name = f'<a href="{e(page_name(row.case))}#{e(row.variant)}">{name}</a>'
        body.append(
            f"<tr><td>{name}</td><td>{e(row.role)}</td><td>{e(row.observed)}</td>"
            f"<td>{badge(row)}</td><td>{e(row.schedules)}</td><td>{row.seconds:.2f} s</td></tr>"
        )
    return f'<div class="table"><table>{head}{"".join(body)}</table></div>'


def outcome_table(case: Case) -> str:
    rows = "".join(
        f"<tr><td><code>{e(outcome)}</code></td><td>{e(verdict)}</td><td>{e(meaning)}</td></tr>"
        for outcome, (verdict, meaning) in case.outcomes.items()
    )
    return (
        '<div class="table"><table><tr><th>outcome</th><th>verdict</th><th>meaning</th></tr>'
        f"{rows}</table></div>"
    )


def variant_section(case: Case, row: Row) -> str:
    """What one variant did: its verdict, the outcome and its meaning, the stress chart
    (from this run, or else the numbers its docstring states), and the result
    (swimlanes, replay line)."""
    parts = [
        f'<section class="variant" id="{e(row.variant)}" data-verdict="{e(row.verdict)}">',
        f"<h2>{e(row.variant)}.py ({e(row.role)}): {badge(row)}</h2>",
    ]
    summary = _first_line(case, row.variant)
    if summary:
        parts.append(f"<p>{inline_code(summary)}</p>")
    meaning = row.data.get("meaning", "")
    if row.observed != "-":
        parts.append(f"<p>Outcome <code>{e(row.observed)}</code>: {e(meaning)}</p>")
    elif meaning:
        parts.append(f"<p>{e(meaning)}</p>")
    stress = row.data.get("stress")
    if stress and stress.get("outcomes"):
        verdicts = verdicts_for(case.outcomes, broken=row.role == "broken")
        parts.append(outcome_chart([(o, int(n)) for o, n in stress["outcomes"]], verdicts))
    elif not stress and case.missing() is None:
        # Shown by the scheduler: the numbers its docstring states, from `races stress`.
        numbers = measured_numbers(case.module(row.variant).__doc__ or "")
        if numbers is not None and numbers.settings:
            parts.append(measured_chart(case, row.variant, numbers))
    parts.append(row.html)
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _first_line(case: Case, variant: str) -> str:
    if case.missing() is not None:
        return ""
    doc = inspect.cleandoc(case.module(variant).__doc__ or "")
    return doc.split("\n\n", 1)[0].replace("\n", " ")


def index_page(lessons: Sequence[tuple[Case, Sequence[Row]]]) -> str:
    """Every lesson run, in order, each linked to its page, with its variants' verdicts."""
    rows = [row for _, rs in lessons for row in rs]
    shown = sum(r.role == "broken" and r.verdict == "bug shown" for r in rows)
    held = sum(r.role == "fix" and r.verdict == "fix holds" for r in rows)
    failed = sum(not r.passed for r in rows)
    lines = []
    for case, lesson_rows in lessons:
        verdicts = " ".join(
            f'<a href="{e(page_name(case.name))}#{e(r.variant)}">{e(r.variant)}</a> {badge(r)}'
            for r in lesson_rows
        )
        lines.append(
            f'<tr data-case="{e(case.name)}"><td>{case.order}</td>'
            f'<td><a href="{e(page_name(case.name))}">{inline_code(case.title)}</a><br>'
            f"<code>{e(case.name)}</code></td><td>{e(case.bug_class)}</td>"
            f"<td>{e(shown_by(case))}</td><td>{verdicts}</td></tr>"
        )
    body = (
        "<h1>races: the lessons</h1>"
        f"<p>{shown} bug(s) shown, {held} fix(es) held, {failed} not as declared; "
        f"{len(rows)} variants of {len(lessons)} lessons.</p>"
        '<div class="table"><table><tr><th>#</th><th>lesson</th><th>bug class</th>'
        f"<th>shown by</th><th>variants</th></tr>{''.join(lines)}</table></div>"
    )
    return page("races: the lessons", body, STYLE)


# ---------------------------------------------------------------------------- code


def comparisons(case: Case) -> str:
    """The broken variant beside each other variant, code only, the differing lines
    marked; the first comparison open, the others folded."""
    broken = case.broken[0]
    before = inspect.getsource(case.module(broken))
    parts = []
    for i, other in enumerate((*case.broken[1:], *case.fixes)):
        after = inspect.getsource(case.module(other))
        columns = side_by_side(before, after, (f"{broken}.py", f"{other}.py"))
        title = f"{broken}.py beside {other}.py"
        parts.append(
            f"<details{' open' if i == 0 else ''}><summary>{e(title)}</summary>{columns}</details>"
        )
    return "\n".join(parts)


def side_by_side(before: str, after: str, names: tuple[str, str]) -> str:
    """Two variants' code in two columns whose lines line up, the lines that differ
    marked: ``changed`` on both sides, ``removed`` only on the left, ``added`` only on
    the right, and a hatched filler line facing each line that has no partner."""
    left, right = code_only(before), code_only(after)
    a: list[str] = []
    b: list[str] = []

    def line(text: str | None, mark: str) -> str:
        if text is None:
            return '<span class="line filler"></span>'
        cls = f"line {mark}" if mark else "line"
        return f'<span class="{cls}">{e(text)}</span>'

    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            a += [line(t, "") for t in left[i1:i2]]
            b += [line(t, "") for t in right[j1:j2]]
            continue
        rows = max(i2 - i1, j2 - j1)
        for k in range(rows):
            old = left[i1 + k] if i1 + k < i2 else None
            new = right[j1 + k] if j1 + k < j2 else None
            both = old is not None and new is not None
            a.append(line(old, "changed" if both else "removed"))
            b.append(line(new, "changed" if both else "added"))
    return (
        '<div class="code">'
        f'<div><div class="file">{e(names[0])}</div><pre>{"".join(a)}</pre></div>'
        f'<div><div class="file">{e(names[1])}</div><pre>{"".join(b)}</pre></div>'
        "</div>"
    )


# ---------------------------------------------------------------------------- chart


class Bar(NamedTuple):
    """One bar of a chart: what it stands for, its length as a share of the chart's full
    length, the words beside it (count and share), and the verdict that colours it."""

    label: str
    length: float
    text: str
    verdict: str
    #: Its ``data-`` attributes, for scripts and tests: the numbers it was drawn from.
    data: tuple[tuple[str, object], ...] = ()


def bar_chart(bars: Sequence[Bar], title: str, caption: str) -> str:
    """Bars as an SVG chart, coloured by their verdicts: each bar's label and verdict on
    a line above it (so that long labels do not shrink the chart on a phone), its words
    at its end."""
    bar_room = 240.0
    label_width = max(len(f"{b.label}  {b.verdict}") for b in bars) * 7.2
    width = max(label_width, bar_room + 12 + max(len(b.text) for b in bars) * 7.2)
    row = 48
    drawn = []
    for i, bar in enumerate(bars):
        y = 4 + i * row
        length = max(2.0, bar_room * bar.length)
        data = "".join(f' data-{name}="{e(value)}"' for name, value in bar.data)
        drawn.append(
            f'<g class="bar {BAR_CLASS.get(bar.verdict, "undeclared")}"{data} '
            f'data-verdict="{e(bar.verdict)}"><text x="0" y="{y + 14}">{e(bar.label)}'
            f'<tspan class="verdict" dx="8">{e(bar.verdict)}</tspan></text>'
            f'<rect x="0" y="{y + 20}" width="{length:.1f}" height="20" rx="2"/>'
            f'<text x="{length + 6:.1f}" y="{y + 35}">{e(bar.text)}</text></g>'
        )
    height = 8 + row * len(bars)
    return (
        f'<figure class="chart"><svg role="img" viewBox="0 0 {width:.0f} {height}" '
        f'width="{width:.0f}" height="{height}"><title>{e(title)}</title>'
        + "".join(drawn)
        + f"</svg><figcaption>{inline_code(caption)}</figcaption></figure>"
    )


def outcome_chart(
    counts: Sequence[tuple[str, int]],
    verdicts: Mapping[str, str],
    kinds: Mapping[str, str] | None = None,
) -> str:
    """Runs per outcome as a bar chart, one bar per outcome, each with its count, share
    and the verdict the case declares for it. ``kinds`` names the outcome of a label that
    adds the value its runs reported ("assertion: count is 3" is an "assertion")."""
    total = sum(n for _, n in counts) or 1
    most = max((n for _, n in counts), default=1) or 1
    bars = [
        Bar(
            outcome,
            count / most,
            f"{count} ({count / total:.0%})",
            verdicts.get((kinds or {}).get(outcome, outcome), "undeclared"),
            (("outcome", outcome), ("count", count)),
        )
        for outcome, count in counts
    ]
    runs = f"{total} counted run{'' if total == 1 else 's'}"
    return bar_chart(
        bars,
        f"Outcomes of {runs}",
        f"Outcomes of {runs} on real threads and processes, with the verdict the case "
        "declares for each.",
    )


def measured_chart(case: Case, variant: str, numbers: MeasuredNumbers) -> str:
    """The stress numbers a variant's docstring states, a bar per setting: the share of
    counted runs that showed a forbidden outcome, with its verdict."""
    forbidden = sorted(case.forbidden())
    verdict = verdicts_for(case.outcomes, broken=variant in case.broken)[forbidden[0]]
    bars = []
    for setting in numbers.settings:
        text = f"{setting.forbidden} of {setting.counted} counted runs ({setting.share:.0%})"
        if not setting.counted:  # nothing seen, so no verdict
            text = f"no run counted ({setting.made} made)"
        if setting.stopped:
            text += f", {setting.stopped}"
        data = (
            ("setting", setting.label),
            ("forbidden", setting.forbidden),
            ("counted", setting.counted),
        )
        bars.append(
            Bar(setting.label, setting.share, text, verdict if setting.counted else "", data)
        )
    where = "real threads" if case.needs is None else "real threads and processes"
    return (
        f'<div class="measured"><h3>Measured on {where} by <code>races stress</code></h3>'
        f"<p>CPython {e(numbers.python)}, {e(numbers.cores)} cores, at most {numbers.runs} "
        f"runs per setting (numbers from the lesson's docstring; "
        f"<code>races stress {e(case.name)} --variant {e(variant)}</code> measures them "
        f"here). The scheduler: {e(numbers.scheduler)}.</p>"
        + bar_chart(
            bars,
            f"{variant}: the share of counted runs with a forbidden outcome, per setting",
            f"Per setting, the share of counted runs that ended in a forbidden outcome "
            f"({', '.join(forbidden)}); runs whose threads never overlapped are not counted.",
        )
        + "</div>"
    )


# ---------------------------------------------------------------------------- stress


class Stressed(NamedTuple):
    """One variant as ``races stress`` measured it: a histogram per setting, and its
    verdict (``bug shown``, ``fix holds``...) with the line that says why."""

    variant: str
    histograms: Sequence[Histogram]
    verdict: str
    summary: str
    as_declared: bool


def stress_page(
    case: Case,
    stressed: Sequence[Stressed],
    *,
    runs: int,
    seconds: float | None,
    timeout: float,
    full: bool,
) -> str:
    """``races stress --html``: for each variant and setting, the outcomes as a bar chart
    with the verdict of each, the runs made and counted, and the stop rule that ended
    the setting; ``runs``, ``seconds``, ``timeout`` and ``full`` are the stop rules asked."""
    budget = f"a time budget of {seconds:g} s shared by" if seconds else "no time budget for"
    rules = (
        f"At most {runs} runs per setting, {budget} a variant's settings; a run longer than "
        f"{timeout:g} s is a hang. "
        + (
            "Every run is made, to measure how often each outcome shows (--full). "
            if full
            else "A broken variant's setting stops at its first forbidden outcome: the "
            "evidence is wanted, not how often it shows (--full measures that). "
        )
        + "Runs whose threads never overlapped are not counted."
    )
    body = [
        f"<h1>races stress: {inline_code(case.title)}</h1>",
        f'<p class="meta">bug class: {e(case.bug_class)}; measured on CPython '
        f"{e(platform.python_version())}, {os.cpu_count()} cores</p>",
        f"<p>{e(rules)}</p>",
        "<h2>Outcomes</h2>",
        outcome_table(case),
    ]
    for one in stressed:
        body.append(stressed_section(case, one))
    return page(f"races stress: {case.title}", "\n".join(body), STYLE)


def stressed_section(case: Case, stressed: Stressed) -> str:
    """One variant's histograms, a chart per setting."""
    broken = stressed.variant in case.broken
    verdicts = verdicts_for(case.outcomes, broken=broken)
    parts = [
        f'<section class="variant" id="{e(stressed.variant)}" '
        f'data-verdict="{e(stressed.verdict)}">',
        f"<h2>{e(stressed.variant)}.py ({'broken' if broken else 'fix'}): "
        f"{verdict_badge(stressed.verdict, stressed.as_declared)}</h2>",
        f"<p>{e(stressed.summary)}</p>",
    ]
    for histogram in stressed.histograms:
        # By the value its runs reported, as ``races stress`` and its --json say them.
        counts = list(cast("dict[str, int]", histogram.to_dict()["outcomes"]).items())
        seen = {r.outcome for r in histogram.evidence}
        parts.append(f'<section class="setting" data-setting="{e(histogram.setting)}">')
        parts.append(f"<h3>{e(histogram.setting)}</h3>")
        if counts:
            kinds = {label: _outcome_of(label, seen) for label, _ in counts}
            parts.append(outcome_chart(counts, verdicts, kinds))
        counted = len(histogram.evidence)
        dropped = len(histogram.runs) - counted
        made = f"{counted} of {len(histogram.runs)} runs counted"
        if dropped:
            made += f"; {dropped} run(s) without overlapping threads not counted"
        if histogram.stopped:
            made += f"; {histogram.stopped}"
        parts.append(f'<p class="runs">{e(made)}; {histogram.seconds:.1f} s</p>')
        for report in histogram.hang_reports[:1]:
            parts.append(
                "<details><summary>The first hang: every thread's stack</summary>"
                f"<pre>{e(report)}</pre></details>"
            )
        parts.append("</section>")
    parts.append("</section>")
    return "\n".join(parts)


def _outcome_of(label: str, outcomes: Collection[str]) -> str:
    """The outcome a histogram's row is of: its label is the outcome, or the outcome and
    the value its runs reported (``Histogram.to_dict``: "assertion: count is 3")."""
    for outcome in sorted(outcomes, key=len, reverse=True):
        if label == outcome or label.startswith(f"{outcome}: "):
            return outcome
    return label


# ---------------------------------------------------------------------------- prose


def prose(text: str) -> str:
    """A lesson's docstring as HTML: underlined headings, paragraphs, indented blocks as
    preformatted text, `backquoted` spans as code."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        under = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if len(under) >= 3 and set(under) <= set("-=~"):
            out.append(f"<h3>{inline_code(line.strip())}</h3>")
            i += 2
            continue
        if line.startswith("    "):
            block: list[str] = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out.append(f"<pre>{e(chr(10).join(block))}</pre>")
            continue
        paragraph: list[str] = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("    "):
            after = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if paragraph and len(after) >= 3 and set(after) <= set("-=~"):
                break
            paragraph.append(lines[i].strip())
            i += 1
        out.append(f"<p>{inline_code(' '.join(paragraph))}</p>")
    return "\n".join(out)
