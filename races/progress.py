"""Progress on long work (``races run``, ``explore``, ``stress``), drawn with rich.

Progress goes to standard error, and only where someone watches it: when standard error
is a terminal, ``NO_COLOR`` is not set and the terminal is not a dumb one. Anywhere else
(a pipe, a file, the output CI or a test captures) nothing at all is drawn, so what a
command prints is the same whether it is watched or not. The bars are transient: when the
work is done they go, and leave the command's own output alone.

The work calls back after each step (a variant done, a schedule run, a real run) and the
display is redrawn from those calls, at most every ``REFRESH`` seconds; never from a
thread of its own. An exploration patches the threading module of the whole process
while it runs, and a thread drawing in the background would run among the scheduler's.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from races.catalogue.runner import Row
from races.core.exploration import Progress as ExplorationProgress
from races.core.exploration import plural
from races.stress.histogram import Histogram

#: Seconds between two redraws at most; the last state of a step that ends is always drawn.
REFRESH = 0.1
#: Characters of a bar: the counts beside it should fit in 80 columns.
BAR = 20


def progress_console(stream: TextIO | None = None) -> Console | None:
    """The console to draw progress on: ``stream`` (standard error) when it is a terminal
    that wants it, or None, when nothing must be drawn."""
    stream = stream if stream is not None else sys.stderr
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return None
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):  # replaced by something that is no file, or closed
        return None
    return Console(file=stream)


class _Display:
    """Bars (rich's ``Progress``, one row per task) between a title line and a note line,
    redrawn only when told, and at most every ``REFRESH`` seconds."""

    def __init__(self, console: Console, title: str, *columns: str | ProgressColumn) -> None:
        self.bars = Progress(*columns, console=console, auto_refresh=False)
        self.note = Text()
        parts = (Text(title), self.bars, self.note) if title else (self.bars, self.note)
        self.live = Live(
            Group(*parts),
            console=console,
            auto_refresh=False,  # no drawing thread: see the module's docstring
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.drawn = 0.0

    def update(self, task: TaskID, *, note: str | None = None, **fields: Any) -> None:
        self.bars.update(task, **fields)
        if note is not None:
            self.note.plain = note
        if time.monotonic() - self.drawn >= REFRESH:
            self.draw()

    def draw(self) -> None:
        self.live.refresh()
        self.drawn = time.monotonic()

    @contextmanager
    def shown(self) -> Iterator[None]:
        with self.live:  # which draws the first state
            yield
            self.draw()  # the last state, for as long as it stays on screen


@contextmanager
def run_progress(console: Console | None, variants: int) -> Iterator[Callable[[Row], None] | None]:
    """``races run``: variants done of all, time spent and left; schedules run and
    failures found. Yields what to tell of each finished variant (None: nothing is drawn)."""
    if console is None:
        yield None
        return
    display = _Display(
        console,
        "",
        TextColumn("races run"),
        BarColumn(bar_width=BAR),
        MofNCompleteColumn(),
        TextColumn("variants"),
        TimeElapsedColumn(),
        TextColumn("spent, about"),
        TimeRemainingColumn(),
        TextColumn("left"),
    )
    task = display.bars.add_task("", total=variants)
    display.note.plain = "0 schedules run, 0 failures found"
    schedules = failures = 0

    def tell(row: Row) -> None:
        nonlocal schedules, failures
        result = row.data.get("result") or {}
        schedules += result.get("schedules", 0)
        failures += row.observed not in ("ok", "-")
        note = (
            f"{plural(schedules, 'schedule')} run, {plural(failures, 'failure')} found; "
            f"last: {row.case}.{row.variant}: {row.verdict}"
        )
        display.update(task, advance=1, note=note)
        display.draw()  # a variant takes long enough to draw each

    with display.shown():
        yield tell


@contextmanager
def explore_progress(
    console: Console | None, scenario: str, budget: int | None
) -> Iterator[Callable[[ExplorationProgress], None] | None]:
    """``races explore``: schedules run of the budget, and whether one failed (then the
    replays spent shrinking it). Yields the exploration's ``on_progress``, or None."""
    if console is None:
        yield None
        return
    display = _Display(
        console,
        f"exploring {scenario}",
        BarColumn(bar_width=BAR),
        MofNCompleteColumn(),
        TextColumn("schedules"),
        TimeElapsedColumn(),
    )
    task = display.bars.add_task("", total=budget)
    display.note.plain = "no failure yet"

    def tell(progress: ExplorationProgress) -> None:
        note = "no failure yet"
        if progress.found_after is not None:
            note = f"schedule {progress.found_after} failed"
        if progress.replays:
            note += f"; shrinking it: {plural(progress.replays, 'replay')}"
        display.update(task, total=progress.budget, completed=progress.schedules, note=note)

    with display.shown():
        yield tell


@contextmanager
def stress_progress(
    console: Console | None, variant: str
) -> Iterator[Callable[[Histogram], None] | None]:
    """``races stress``: one row per setting, its runs made of those planned and the
    outcomes seen so far. Yields what to tell after each run, or None."""
    if console is None:
        yield None
        return
    display = _Display(
        console,
        f"stressing {variant}",
        TextColumn("{task.description}"),
        BarColumn(bar_width=BAR),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeElapsedColumn(),
    )
    tasks: dict[int, TaskID] = {}

    def tell(histogram: Histogram) -> None:
        task = tasks.get(id(histogram))
        if task is None:
            task = tasks[id(histogram)] = display.bars.add_task(
                f"  {histogram.setting}", total=histogram.planned
            )
            display.draw()
        seen = ", ".join(f"{n} {outcome}" for outcome, n in histogram.counts.most_common())
        display.update(task, completed=len(histogram.runs), note=f"{histogram.setting}: {seen}")

    with display.shown():
        yield tell
