"""A result as a page that opens from the file system: swimlanes, the wait-for cycle, the
replay line.

The page needs no network and no package: its style sheet is inline, its pictures are
inline SVG, and its only script is a copy button. Every piece of text that comes from a
run (thread names, source lines, messages) goes through ``html.escape``.

The interleaving is drawn as swimlanes: one column per thread (task, greenlet), time
downward, one row per step, each cell showing the step's source line and what it touched.
Rows have one fixed height and lanes one fixed width, both in ``em``, so the arrows that
join the conflicting accesses and the synchronisation edges are drawn in the same units
by an SVG laid over the lanes, with no script to measure anything. At a phone's width the
lanes scroll sideways inside their own box.
"""

from __future__ import annotations

import html
import itertools
import linecache
import math
from collections.abc import Sequence
from typing import Protocol

from races.core.explain import Cause, Conflict
from races.core.trace import Step, SyncEdge, Trace
from races.vocabulary.outcome import Failure
from races.vocabulary.schedule import Schedule

#: Swimlane geometry, in em of the lanes' box: rows, the header, the step-number column.
ROW = 1.75
HEAD = 2.5
NUMBER = 4.0
#: Lane widths, in em: wide enough for the longest cell, within these bounds.
LANE_MIN, LANE_MAX = 12.0, 28.0
#: Steps shown before the first conflicting access and after the last; the rest is
#: folded. Without conflicting accesses, at most ``LAST`` steps are shown unfolded, and
#: a fold draws at most ``FOLDED`` steps (the nearest), so that a run that never ended
#: still makes a page of a sensible size.
BEFORE, AFTER, LAST, FOLDED = 8, 30, 200, 1000

STYLE = """
:root { --ink: #1d2329; --dim: #5f6b76; --rule: #d5dbe1; --paper: #fff; --wash: #f4f6f8;
  --red: #b42318; --red-wash: #fde8e6; --blue: #2f5d8a; --green: #1e7a3c;
  --amber: #9a5b00; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 75em; padding: 1em; color: var(--ink);
  background: var(--paper); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
  overflow-wrap: anywhere; }
h1 { font-size: 1.6em; line-height: 1.25; margin: .4em 0; }
h2 { font-size: 1.3em; margin: 1.6em 0 .4em; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.1em; margin: 1.2em 0 .3em; }
code, pre, .lanes { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
code { font-size: .92em; background: var(--wash); padding: 0 .2em; border-radius: 3px; }
pre { background: var(--wash); padding: .6em .8em; overflow-x: auto; font-size: .85em;
  line-height: 1.4; overflow-wrap: normal; border-radius: 4px; }
pre code { background: none; padding: 0; }
.dim { color: var(--dim); }
.message { font-weight: 600; }
.cause { border-left: 4px solid var(--red); padding: .2em .8em; background: var(--red-wash); }
.cause ul { margin: .3em 0; padding-left: 1.2em; }
.lanes { position: relative; overflow: auto; max-height: 80vh; max-width: 100%;
  border: 1px solid var(--rule); border-radius: 4px; font-size: 13px;
  overflow-wrap: normal; }
.lane-grid { position: relative; display: grid; width: max-content;
  grid-auto-rows: var(--row); }
.lane-grid > div { white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  padding: 0 .5em; line-height: var(--row); border-right: 1px solid var(--rule); }
.lane-grid > .head { position: sticky; top: 0; z-index: 2; background: var(--wash);
  font-weight: 600; line-height: var(--head); border-bottom: 1px solid var(--rule);
  font-family: system-ui, sans-serif; }
.lane-grid > .num { color: var(--dim); text-align: right; position: sticky; left: 0;
  z-index: 2; background: var(--paper); }
.lane-grid > .head.num { z-index: 3; background: var(--wash); }
.lane-grid > .step { background: #eef3f8; }
.lane-grid > .step.switched { border-top: 2px solid var(--blue); }
.lane-grid > .step.conflict { background: var(--red-wash); color: var(--red);
  font-weight: 600; outline: 2px solid var(--red); outline-offset: -2px; }
.lane-grid > .value { color: var(--blue); }
.ln { color: var(--dim); margin-right: .5em; }
.again .src { color: var(--dim); }
.op { color: var(--dim); margin-left: .6em; }
.tag { margin-left: .6em; font-size: .85em; padding: 0 .3em; border-radius: 3px;
  background: #fff; border: 1px solid var(--rule); }
.conflict .tag { border-color: var(--red); }
.arrows { position: absolute; top: 0; left: 0; pointer-events: none; z-index: 1;
  overflow: visible; }
.arrows .conflict-arrow { stroke: var(--red); stroke-width: .12; fill: none; }
.arrows .conflict-head { fill: var(--red); }
.arrows .sync-edge { stroke: var(--blue); stroke-width: .07; stroke-dasharray: .3 .2;
  fill: none; }
.arrows .sync-head { fill: var(--blue); }
.legend { font-size: .85em; color: var(--dim); margin: .3em 0 1em; }
.legend .swatch { display: inline-block; width: 1.6em; height: 0; vertical-align: middle;
  margin: 0 .3em 0 .8em; }
.replay { display: flex; flex-wrap: wrap; gap: .5em; align-items: center; margin: .6em 0; }
.replay code { flex: 1 1 20em; min-width: 0; overflow-x: auto; white-space: pre;
  padding: .4em .6em; overflow-wrap: normal; }
button.copy { font: inherit; font-size: .85em; padding: .25em .8em; cursor: pointer;
  border: 1px solid var(--rule); border-radius: 4px; background: var(--paper); }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .85em; color: var(--dim); }
.cycle text { font: 13px system-ui, sans-serif; }
.cycle .node rect { fill: var(--red-wash); stroke: var(--red); stroke-width: 1.5; }
.cycle .edge path { stroke: var(--red); stroke-width: 1.5; fill: none; }
.cycle .edge polygon { fill: var(--red); }
.cycle .edge text { fill: var(--ink); paint-order: stroke; stroke: #fff; stroke-width: 4px; }
details > summary { cursor: pointer; color: var(--blue); margin: .4em 0; }
"""

#: The page's only script: the copy buttons (the clipboard when the browser allows it,
#: else the line is selected for Ctrl-C).
SCRIPT = """
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy");
  if (!button) return;
  var text = button.getAttribute("data-copy");
  var shown = button.previousElementSibling;
  function say(word) {
    button.textContent = word;
    setTimeout(function () { button.textContent = "copy"; }, 1500);
  }
  function select() {
    var range = document.createRange();
    range.selectNodeContents(shown);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say("selected: Ctrl-C");
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { say("copied"); }, select);
  } else {
    select();
  }
});
"""


class Shown(Protocol):
    """What a page shows of a result: a ``races.core.result.Result`` (which cannot be
    imported here, since its ``to_html`` comes from this module)."""

    scenario: str
    summary: str
    failure: Failure | None
    schedule: Schedule | None
    trace: Trace | None
    findings: list[Cause]

    @property
    def replay_line(self) -> str: ...

    def render(self, *, full: bool = False) -> str: ...


def e(text: object) -> str:
    """``text`` escaped for HTML, quotes included (it may stand in an attribute)."""
    return html.escape(str(text), quote=True)


def page(title: str, body: str, style: str = "") -> str:
    """A whole HTML document: ``body`` (HTML) under ``title``, with the style sheet
    (and ``style``, more of it) and the copy script inline."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{STYLE}{style}</style>\n</head>\n"
        f"<body>\n{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def result_page(result: Shown) -> str:
    """``result`` as a whole page (what ``Result.to_html`` returns)."""
    title = f"races: {result.scenario}"
    body = f"<h1>{e(title)}</h1>\n{result_section(result, level=2)}"
    return page(title, body)


def result_section(result: Shown, level: int = 2, shell: str = "") -> str:
    """``result`` as part of a page, its headline at heading ``level``: the failure and
    its cause, the interleaving as swimlanes, a deadlock's cycle, the replay line (and
    ``shell``, a command that replays it too), and the text report folded."""
    h = f"h{level}"
    failure = result.failure
    if failure is None:
        return (
            f'<section class="result passed">\n<{h}>No failure in <code>{e(result.scenario)}'
            f"</code></{h}>\n<p>{e(result.summary)}</p>\n</section>"
        )
    title = failure.pattern or str(failure.kind)
    parts = [
        f'<section class="result failed" data-kind="{e(failure.kind.value)}">',
        f'<{h}><span class="pattern">{e(title[:1].upper() + title[1:])}</span> in '
        f"<code>{e(result.scenario)}</code></{h}>",
        f'<p class="message">{e(failure.message)}</p>',
        f'<p class="summary dim">{e(result.summary)}</p>',
    ]
    lead = next((c for c in result.findings if c.pattern == failure.pattern), None)
    told = [lead] if lead is not None else []
    told += [c for c in result.findings if c is not lead]
    parts += [cause_block(cause.headline) for cause in told]
    if failure.cycle:
        parts.append(cycle_graph(failure.cycle))
    if result.trace is not None and len(result.trace):
        parts.append(swimlanes(result.trace, lead.conflicts if lead is not None else ()))
    if result.schedule is not None:
        parts.append(replay_block(result.replay_line))
        if shell:
            parts.append(replay_block(shell, "Or, from a shell"))
    parts.append(
        "<details><summary>The report as text</summary>"
        f"<pre>{e(result.render(full=False))}</pre></details>"
    )
    parts.append("</section>")
    return "\n".join(parts)


def cause_block(headline: str) -> str:
    """A cause's headline as prose: its wrapped lines joined, indented lines as a list."""
    prose: list[str] = []
    items: list[str] = []
    for line in headline.splitlines():
        if line.startswith("  "):
            items.append(f"<li>{inline_code(line.strip())}</li>")
        else:
            prose.append(line.strip())
    text = f'<div class="cause"><p>{inline_code(" ".join(prose))}</p>'
    if items:
        text += f"<ul>{''.join(items)}</ul>"
    return text + "</div>"


def inline_code(text: str) -> str:
    """``text`` escaped, its `backquoted` spans as code."""
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an odd backquote: no spans
        return e(text)
    return "".join(f"<code>{e(p)}</code>" if i % 2 else e(p) for i, p in enumerate(pieces))


def replay_block(line: str, label: str = "To replay") -> str:
    """The line that replays a failure, with a button that copies it."""
    return (
        f'<div class="replay"><span class="dim">{e(label)}:</span>'
        f'<code class="replay-line">{e(line)}</code>'
        f'<button type="button" class="copy" data-copy="{e(line)}">copy</button></div>'
    )


# ---------------------------------------------------------------------------- swimlanes


def swimlanes(trace: Trace, conflicts: Sequence[Conflict] = ()) -> str:
    """The interleaving: a lane per thread, a row per step, the conflicting accesses
    highlighted and joined by arrows in the order they happened, and the run's
    synchronisation edges dashed. Steps far from the conflict are folded."""
    steps = list(trace)
    marked = {c.step: c for c in conflicts}
    rows = [i for i, step in enumerate(steps) if step.index in marked]
    if rows:
        start, end = max(0, rows[0] - BEFORE), min(len(steps), rows[-1] + AFTER + 1)
    else:
        start, end = max(0, len(steps) - LAST), len(steps)
    lanes = Lanes(trace, marked)
    parts = []
    if start:
        before = steps[max(0, start - FOLDED) : start]
        parts.append(_folded(lanes.grid(before), _steps(len(before)), start, "before"))
    parts.append(lanes.grid(steps[start:end], arrows=True))
    if end < len(steps):
        after = steps[end : end + FOLDED]
        parts.append(_folded(lanes.grid(after), _steps(len(after)), len(steps) - end, "after"))
    legend = (
        '<p class="legend">Time runs downward, one lane per thread; a blue rule marks a switch. '
    )
    if marked:
        legend += (
            '<span class="swatch" style="border-top: 3px solid var(--red)"></span>'
            "the conflicting accesses, in the order they happened"
        )
    if trace.edges:
        legend += (
            '<span class="swatch" style="border-top: 2px dashed var(--blue)"></span>'
            "synchronisation: a thread started, a lock passed on"
        )
    return "\n".join(parts) + legend + "</p>"


def _steps(count: int) -> str:
    return f"{count} step{'' if count == 1 else 's'}"


def _folded(grid: str, drawn: str, steps: int, where: str) -> str:
    """Steps folded away, ``where`` ("before", "after") those shown: ``drawn`` of them,
    those nearest, out of ``steps``."""
    what = f"{_steps(steps)} {where} these"
    if drawn != _steps(steps):
        what += f" (the {drawn} nearest drawn)"
    return f'<details class="fold"><summary>{e(what)}</summary>{grid}</details>'


class Lanes:
    """The geometry of one trace's swimlanes, shared by its grids (shown and folded)."""

    def __init__(self, trace: Trace, marked: dict[int, Conflict]) -> None:
        self.trace = trace
        self.marked = marked
        self.threads = len(trace.thread_names)
        longest = [len(name) for name in trace.thread_names]
        for step in trace:
            longest[step.thread] = max(longest[step.thread], len(self.text(step)))
        self.lanes = [min(LANE_MAX, max(LANE_MIN, n * 0.62 + 2)) for n in longest]
        self.left = [NUMBER + sum(self.lanes[:i]) for i in range(len(self.lanes))]
        self.values = [
            max(len(name), *(len(v[i]) for v in (s.values for s in trace) if len(v) > i)) * 0.62
            + 2.5
            for i, name in enumerate(trace.watch)
        ]
        self.names = trace.thread_names

    def text(self, step: Step) -> str:
        """A cell's words, as its title and for sizing the lanes."""
        where, source = self.line(step)
        words = [f"{where[1]}" if where else "", source]
        if step.event == "instruction" and step.instruction:
            words.append(step.instruction)
        elif step.detail and step.detail != source:
            words.append(step.detail)
        words += self.tags(step)
        return "  ".join(w for w in words if w)

    def line(self, step: Step) -> tuple[tuple[str, int] | None, str]:
        """The step's place and source line; for a conflicting access, the line that made
        it (a step may span a call, or a task's step several lines)."""
        conflict = self.marked.get(step.index)
        if conflict is not None and conflict.where is not None:
            filename, lineno = conflict.where
            return conflict.where, linecache.getline(filename, lineno).strip()
        if step.filename and step.lineno:
            return (step.filename, step.lineno), step.source
        return None, step.source

    def tags(self, step: Step) -> list[str]:
        conflict = self.marked.get(step.index)
        if conflict is not None:
            return [conflict.access]
        return [a for a in step.accesses if a != "opaque"]

    def grid(self, steps: Sequence[Step], arrows: bool = False) -> str:
        columns = [f"{NUMBER}em"] + [f"{w:.2f}em" for w in self.lanes]
        columns += [f"{w:.2f}em" for w in self.values]
        cells = ['<div class="head num">step</div>']
        cells += [
            f'<div class="head lane" data-thread="{i}" title="{e(name)}">{e(name)}</div>'
            for i, name in enumerate(self.names)
        ]
        cells += [f'<div class="head value">{e(name)}</div>' for name in self.trace.watch]
        row_of: dict[int, int] = {}
        last: dict[int, object] = {}  # thread -> the line of its previous step
        for row, step in enumerate(steps, start=2):
            row_of[step.index] = row - 2
            cells.append(
                f'<div class="num" style="grid-row: {row}; grid-column: 1">{step.index}</div>'
            )
            where = self.line(step)[0]
            cells.append(
                self.cell(step, row, again=where is not None and last.get(step.thread) == where)
            )
            last[step.thread] = where
            for k, value in enumerate(step.values):
                column = self.threads + k + 2
                cells.append(
                    f'<div class="value" style="grid-row: {row}; grid-column: {column}">'
                    f"{e(value)}</div>"
                )
        svg = self.arrows(steps, row_of) if arrows else ""
        style = (
            f"grid-template-columns: {' '.join(columns)}; grid-template-rows: {HEAD}em; "
            f"--row: {ROW}em; --head: {HEAD}em; background-image: {self.rules()}"
        )
        return (
            f'<div class="lanes"><div class="lane-grid" style="{style}">'
            + "".join(cells)
            + svg
            + "</div></div>"
        )

    def rules(self) -> str:
        """A thin rule at the right edge of each lane, as a background (empty cells are
        not drawn)."""
        stops = []
        for left, width in zip(self.left, self.lanes, strict=True):
            edge = left + width
            stops.append(
                f"transparent calc({edge:.2f}em - 1px), var(--rule) calc({edge:.2f}em - 1px), "
                f"var(--rule) {edge:.2f}em, transparent {edge:.2f}em"
            )
        return f"linear-gradient(90deg, {', '.join(stops)})"

    def cell(self, step: Step, row: int, again: bool) -> str:
        """A step's cell; ``again`` when its thread's previous step was on the same line
        (the source is then dimmed)."""
        where, source = self.line(step)
        classes = ["step"]
        if step.index in self.marked:
            classes.append("conflict")
        if step.switch is not None:
            classes.append("switched")
        if again:
            classes.append("again")
        title = f"step {step.index}, {step.thread_name}"
        if where:
            title += f", {where[0].rsplit('/', 1)[-1]}:{where[1]}"
        if step.switch is not None:
            title += f" (after a switch: {step.switch})"
        title += f": {self.text(step)}"
        inner = f'<span class="ln">{where[1]}</span>' if where else ""
        if source:
            inner += f'<span class="src">{e(source)}</span>'
        if step.event == "instruction" and step.instruction:
            inner += f'<span class="op">{e(step.instruction)}</span>'
        elif step.detail and step.detail != source:
            inner += f'<span class="op">{e(step.detail)}</span>'
        inner += "".join(f'<span class="tag">{e(tag)}</span>' for tag in self.tags(step))
        return (
            f'<div class="{" ".join(classes)}" data-step="{step.index}" '
            f'data-thread="{step.thread}" style="grid-row: {row}; grid-column: {step.thread + 2}" '
            f'title="{e(title)}">{inner}</div>'
        )

    def arrows(self, steps: Sequence[Step], row_of: dict[int, int]) -> str:
        """The SVG over the lanes: conflict arrows and synchronisation edges, in em."""
        thread_of = {step.index: step.thread for step in steps}
        width = NUMBER + sum(self.lanes) + sum(self.values)
        height = HEAD + ROW * len(steps)
        shapes: list[str] = []
        for edge in self.trace.edges:
            if edge.source in row_of and edge.target in row_of:
                shapes.append(self.sync_edge(edge, row_of, thread_of))
        order = [c.step for c in sorted(self.marked.values(), key=lambda c: row_of.get(c.step, 0))]
        for a, b in itertools.pairwise(order):
            if a in row_of and b in row_of:
                path, head = self.link(
                    (row_of[a], thread_of[a]), (row_of[b], thread_of[b]), inset=0.25
                )
                shapes.append(
                    f'<path class="conflict-arrow" data-from="{a}" data-to="{b}" d="{path}">'
                    f"<title>{e(self.marked[a].access)} then {e(self.marked[b].access)}</title>"
                    f'</path><polygon class="conflict-head" points="{head}"/>'
                )
        if not shapes:
            return ""
        return (
            f'<svg class="arrows" aria-hidden="true" width="{width:.2f}em" '
            f'height="{height:.2f}em" viewBox="0 0 {width:.2f} {height:.2f}">'
            + "".join(shapes)
            + "</svg>"
        )

    def sync_edge(self, edge: SyncEdge, row_of: dict[int, int], thread_of: dict[int, int]) -> str:
        path, head = self.link(
            (row_of[edge.source], thread_of[edge.source]),
            (row_of[edge.target], thread_of[edge.target]),
            inset=0.6,
            size=0.35,
        )
        if edge.kind == "start":
            what = (
                f"{self.names[thread_of[edge.source]]} starts {self.names[thread_of[edge.target]]}"
            )
        else:
            lock = linecache.getline(*edge.site).strip() if edge.site else ""
            what = f"the lock {self.names[thread_of[edge.source]]} released is acquired by "
            what += self.names[thread_of[edge.target]] + (f" (`{lock}`)" if lock else "")
        return (
            f'<path class="sync-edge sync-{e(edge.kind)}" data-from="{edge.source}" '
            f'data-to="{edge.target}" d="{path}"><title>{e(what)}</title></path>'
            f'<polygon class="sync-head" points="{head}"/>'
        )

    def link(
        self, a: tuple[int, int], b: tuple[int, int], inset: float, size: float = 0.55
    ) -> tuple[str, str]:
        """A curve from the cell at (row, lane) ``a`` to the one at ``b``, leaving and
        entering by the sides that face each other (the right side when both are in one
        lane), and its arrowhead."""
        (ra, la), (rb, lb) = a, b
        ya = HEAD + ROW * (ra + 0.5)
        yb = HEAD + ROW * (rb + 0.5)
        right_a = self.left[la] + self.lanes[la]
        right_b = self.left[lb] + self.lanes[lb]
        if la < lb:
            xa, xb, pull_a, pull_b = right_a - inset, self.left[lb] + inset, 2.0, -2.0
        elif la > lb:
            xa, xb, pull_a, pull_b = self.left[la] + inset, right_b - inset, -2.0, 2.0
        else:
            xa = xb = right_a - inset
            pull_a = pull_b = 2.5
        c1 = (xa + pull_a, ya)
        c2 = (xb + pull_b, yb)
        path = (
            f"M{xa:.2f},{ya:.2f} C{c1[0]:.2f},{c1[1]:.2f} {c2[0]:.2f},{c2[1]:.2f} {xb:.2f},{yb:.2f}"
        )
        return path, _head((xb, yb), c2, size)


def _head(tip: tuple[float, float], before: tuple[float, float], size: float) -> str:
    """An arrowhead's triangle at ``tip``, pointing away from ``before``."""
    dx, dy = tip[0] - before[0], tip[1] - before[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    bx, by = tip[0] - ux * size, tip[1] - uy * size
    px, py = -uy * size * 0.5, ux * size * 0.5
    return f"{tip[0]:.2f},{tip[1]:.2f} {bx + px:.2f},{by + py:.2f} {bx - px:.2f},{by - py:.2f}"


# ---------------------------------------------------------------------------- deadlock


def cycle_graph(cycle: Sequence[tuple[str, str]]) -> str:
    """A deadlock's wait-for cycle as an SVG graph: each unit a box on a circle, an arrow
    from each to the one that holds what it waits for, labelled with what that is."""
    n = len(cycle)
    sizes = [(len(name) * 7.2 + 24, 30.0) for name, _ in cycle]
    radius = 0.0 if n == 1 else max(110.0, 60.0 * n, max(w for w, _ in sizes) * 0.9)
    first = math.pi if n == 2 else -math.pi / 2
    centres = [
        (
            radius * math.cos(first + 2 * math.pi * i / n),
            radius * math.sin(first + 2 * math.pi * i / n),
        )
        for i in range(n)
    ]
    nodes: list[str] = []
    edges: list[str] = []
    xs: list[float] = []  # what the picture must hold: boxes, curves, labels
    ys: list[float] = []
    for i, ((name, waits), (cx, cy), (w, h)) in enumerate(zip(cycle, centres, sizes, strict=True)):
        xs += [cx - w / 2, cx + w / 2]
        ys += [cy - h / 2, cy + h / 2]
        nodes.append(
            f'<g class="node" data-unit="{i}"><rect x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" '
            f'width="{w:.1f}" height="{h:.1f}" rx="6"/><text x="{cx:.1f}" y="{cy + 4.5:.1f}" '
            f'text-anchor="middle">{e(name)}</text></g>'
        )
        target = (i + 1) % n
        if n == 1:
            top = cy - h / 2
            path = (
                f"M{cx - 20:.1f},{top:.1f} C{cx - 50:.1f},{top - 60:.1f} "
                f"{cx + 50:.1f},{top - 60:.1f} {cx + 20:.1f},{top:.1f}"
            )
            head = _head((cx + 20, top), (cx + 50, top - 60), 10)
            label = (cx, top - 52)
            ys.append(top - 60)
        else:
            path, head, label, bend = _arc(centres[i], centres[target], sizes[i], sizes[target])
            ys.append(bend)
        half = len(waits) * 3.6 + 4
        xs += [label[0] - half, label[0] + half]
        ys += [label[1] - 14, label[1] + 4]
        owner = cycle[target][0]
        edges.append(
            f'<g class="edge" data-from="{i}" data-to="{target}"><path d="{path}"/>'
            f'<polygon points="{head}"/><text x="{label[0]:.1f}" y="{label[1]:.1f}" '
            f'text-anchor="middle">{e(waits)}</text>'
            f"<title>{e(name)} {e(waits)}, held by {e(owner)}</title></g>"
        )
    left, right = min(xs) - 10, max(xs) + 10
    top, bottom = min(ys) - 10, max(ys) + 10
    names = ", ".join(name for name, _ in cycle)
    return (
        f'<figure class="cycle"><svg role="img" viewBox="{left:.1f} {top:.1f} '
        f'{right - left:.1f} {bottom - top:.1f}" width="{right - left:.0f}" '
        f'height="{bottom - top:.0f}"><title>Wait-for cycle: {e(names)}</title>'
        + "".join(edges)
        + "".join(nodes)
        + "</svg><figcaption>The wait-for cycle: each arrow goes from a unit to the one "
        "that holds what it waits for.</figcaption></figure>"
    )


def _arc(
    a: tuple[float, float],
    b: tuple[float, float],
    size_a: tuple[float, float],
    size_b: tuple[float, float],
) -> tuple[str, str, tuple[float, float], float]:
    """A curve from box ``a`` to box ``b``, bowed outwards from the circle's centre (to
    its left, when the two face each other across it), with its arrowhead, the point for
    its label, and how far up or down it reaches."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    out = math.hypot(mx, my)
    nx, ny = (mx / out, my / out) if out > 1e-6 else (dy / length, -dx / length)
    bow = length * 0.25
    control = (mx + nx * bow, my + ny * bow)
    start = _edge_of(a, size_a, control)
    end = _edge_of(b, size_b, control)
    path = f"M{start[0]:.1f},{start[1]:.1f} Q{control[0]:.1f},{control[1]:.1f} {end[0]:.1f},{end[1]:.1f}"
    label = (
        0.25 * start[0] + 0.5 * control[0] + 0.25 * end[0],
        0.25 * start[1] + 0.5 * control[1] + 0.25 * end[1] - 6,
    )
    bend = 0.5 * (start[1] + end[1]) * 0.5 + 0.5 * control[1]
    return path, _head(end, control, 10), label, bend


def _edge_of(
    centre: tuple[float, float], size: tuple[float, float], towards: tuple[float, float]
) -> tuple[float, float]:
    """Where the line from a box's centre towards a point leaves the box (an ellipse
    around it, close enough for an arrow's end)."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    rx, ry = size[0] / 2 + 4, size[1] / 2 + 4
    t = 1 / math.sqrt((dx / rx) ** 2 + (dy / ry) ** 2) if (dx or dy) else 0.0
    return centre[0] + dx * t, centre[1] + dy * t
