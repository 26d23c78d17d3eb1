"""The steps of a run, and their rendering with one column per thread.

A run records compact tuples on the hot path; they become ``Step`` objects only when a
result is shown. The rendering is for a learner reading an interleaving: threads are
columns, each context switch is marked (and says whether it was a preemption), the source
line is repeated whenever a thread moves to a new line, and watched variables show their
value after every step.
"""

from __future__ import annotations

import linecache
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import CodeType
from typing import overload

from races.core.instructions import INSTRUCTIONS
from races.vocabulary.access import OPAQUE_STEP, Access, Sync
from races.vocabulary.kinds import StepKind
from races.vocabulary.outcome import Outcome

LINE, INSTRUCTION, BLOCK, FINISH = (
    StepKind.LINE,
    StepKind.INSTRUCTION,
    StepKind.BLOCK,
    StepKind.FINISH,
)
SLEEP, EVENT, AWAIT, WAIT = StepKind.SLEEP, StepKind.EVENT, StepKind.AWAIT, StepKind.WAIT


@dataclass(frozen=True)
class Step:
    """One switch point of a run: which thread was about to do what, and where."""

    index: int
    thread: int
    thread_name: str
    event: str  # "line", "instruction", "block", "sleep", "finish", "event", "await", "resume"
    filename: str | None
    lineno: int | None
    source: str
    instruction: str | None
    detail: str
    values: tuple[str, ...]
    switch: str | None = None  # why another thread ran just before this step, if one did
    #: What the step touched (``read counter``, ``write cache[7]``), as people name it.
    accesses: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        return f"{self.filename}:{self.lineno}" if self.filename else ""

    def describe(self) -> str:
        """What the step does, in one cell of the rendering."""
        if self.event == "instruction":
            return self.instruction or ""
        if self.event in ("line", "await", "resume") and not self.detail:
            return self.source
        return self.detail


@dataclass(frozen=True)
class SyncEdge:
    """Synchronisation that orders a step of one thread before a step of another
    (both ``Step.index``): ``start``, a thread starting another (its first step comes
    after), or ``lock``, a lock released and then acquired by another thread at ``site``."""

    kind: str
    source: int
    target: int
    site: tuple[str, int] | None = None


class Trace(Sequence[Step]):
    """The steps of one run, in order, with the names of its threads and watched variables,
    and the synchronisation edges between its threads' steps."""

    def __init__(
        self,
        steps: list[Step],
        thread_names: list[str],
        watch: Sequence[str] = (),
        edges: Sequence[SyncEdge] = (),
    ) -> None:
        self._steps = steps
        self.thread_names = thread_names
        self.watch = tuple(watch)
        self.edges = tuple(edges)

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> list[Step]: ...
    def __getitem__(self, i: int | slice) -> Step | list[Step]:
        return self._steps[i]

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trace) and self._steps == other._steps

    __hash__ = None  # type: ignore[assignment]

    def switches(self) -> int:
        return sum(1 for step in self._steps if step.switch is not None)

    def render(self, last: int | None = None, width: int = 34) -> str:
        """The interleaving as text, one column per thread; ``last`` keeps only the final steps."""
        steps = self._steps
        skipped = 0
        if last is not None and len(steps) > last:
            skipped = len(steps) - last
            steps = steps[skipped:]
        names = [f"{name} [{i}]" for i, name in enumerate(self.thread_names)]
        col = max([width] + [len(n) for n in names])
        header = ["step".rjust(5)] + [n.ljust(col) for n in names] + list(self.watch)
        out = [" | ".join(header).rstrip(), "-" * len(" | ".join(header))]
        if skipped:
            out.append(f"  ... {skipped} earlier steps not shown")
        last_line: dict[int, tuple[str | None, int | None]] = {}
        previous: Step | None = self._steps[skipped - 1] if skipped else None
        for step in steps:
            if previous is not None and step.switch is not None:
                out.append(
                    f"{'':5}   ~~ switch: {previous.thread_name} -> {step.thread_name} "
                    f"({step.switch}) ~~"
                )
            if step.event == "instruction" and last_line.get(step.thread) != (
                step.filename,
                step.lineno,
            ):
                out.append(self._row("", step.thread, f"{step.source}  ({_short(step)})", col, ()))
            last_line[step.thread] = (step.filename, step.lineno)
            text = step.describe()
            if step.event in ("line", "await", "resume"):
                text = f"{text}  ({_short(step)})"
            elif step.event != "instruction" and step.filename:
                text = f"{text}  ({_short(step)})"
            out.append(self._row(str(step.index), step.thread, text, col, step.values))
            previous = step
        return "\n".join(out)

    def _row(self, label: str, thread: int, text: str, col: int, values: tuple[str, ...]) -> str:
        if len(text) > col:
            text = text[: col - 3] + "..."
        cells = [label.rjust(5)] + [
            (text if i == thread else "").ljust(col) for i in range(len(self.thread_names))
        ]
        return " | ".join(cells + list(values)).rstrip()


def _short(step: Step) -> str:
    filename = step.filename or ""
    return f"{filename.rsplit('/', 1)[-1]}:{step.lineno}"


def build_trace(outcome: Outcome, watch: Sequence[str] = ()) -> Trace:
    """Turn a run's switch points into the steps it executed, in the order they ran.

    A switch point comes *before* its instruction. When the scheduler keeps the thread,
    the instruction runs at once; when it preempts the thread, the instruction runs only
    when the thread is resumed, so that is where its row goes (still numbered with its
    switch point, which is what schedules count). Watched values are read at the next
    switch point, that is, after the instruction ran.
    """
    records = outcome.trace
    snapshots = outcome.snapshots
    names = outcome.thread_names
    touched = _accesses_by_step(outcome)
    steps: list[Step] = []
    pending: dict[int, int] = {}  # thread -> index of its preempted, not yet run, point
    last_thread: int | None = None
    reason: str | None = None

    def emit(i: int, values_at: int) -> None:
        nonlocal last_thread, reason
        thread = records[i][0]
        switch = None
        if last_thread is not None and thread != last_thread:
            switch = "preempted" if last_thread in pending else reason
        values = snapshots[values_at] if values_at < len(snapshots) else ()
        steps.append(_step(records[i], i + 1, names, values, switch, touched.get(i, ())))
        last_thread = thread
        reason = {
            BLOCK: "blocked",
            SLEEP: "sleeping",
            FINISH: "finished",
            AWAIT: "await",
            EVENT: "await",
            WAIT: "waits",
        }.get(records[i][1])

    for i, (thread, kind, _, _) in enumerate(records):
        if thread in pending:
            emit(pending.pop(thread), i)
        hands_over = i + 1 < len(records) and records[i + 1][0] != thread
        if kind in (LINE, INSTRUCTION) and hands_over:
            pending[thread] = i
        elif kind in (AWAIT, EVENT, WAIT):
            emit(i, i + 1)  # a task or greenlet step runs on until it waits again
        else:
            # A thread that blocks or ends hands over at once: show the state it left.
            emit(i, i if hands_over else i + 1)
    return Trace(steps, names, watch, sync_edges(outcome))


def sync_edges(outcome: Outcome) -> list[SyncEdge]:
    """The run's synchronisation between threads, step to step: each start of a thread,
    and each lock the program takes (``Sync.mutex``) after another thread released it.
    What happens before a thread's first step (its start-up inside the library) is left
    out."""
    first_step: dict[int, int] = {}
    for i, record in enumerate(outcome.trace):
        first_step.setdefault(record[0], i + 1)
    released: dict[int, tuple[int, int]] = {}  # lock -> (thread, step) of its last release
    edges: dict[tuple[int, int], SyncEdge] = {}
    for thread, step, event, _where in outcome.events:
        if not isinstance(event, Sync) or step < 0:
            continue
        if event.kind == "start" and event.obj in first_step:
            edge = SyncEdge("start", step + 1, first_step[event.obj])
        elif event.kind == "release":
            released[event.obj] = (thread, step)
            continue
        elif event.kind == "acquire" and event.mutex and event.obj in released:
            by, at = released[event.obj]
            if by == thread:
                continue
            edge = SyncEdge("lock", at + 1, step + 1, event.site)
        else:
            continue
        edges.setdefault((edge.source, edge.target), edge)
    return list(edges.values())


def _accesses_by_step(outcome: Outcome) -> dict[int, tuple[str, ...]]:
    """Each step's accesses in words, each once, in the order they happened."""
    found: dict[int, dict[str, None]] = {}
    for _thread, step, event, _where in outcome.events:
        if isinstance(event, Access):
            found.setdefault(step, {})[str(event)] = None
        elif event is OPAQUE_STEP:
            found.setdefault(step, {})["opaque"] = None
    return {step: tuple(words) for step, words in found.items()}


def _step(
    record: tuple[int, int, object, object],
    index: int,
    names: list[str],
    values: tuple[str, ...],
    switch: str | None,
    accesses: tuple[str, ...] = (),
) -> Step:
    thread, kind, a, b = record
    filename: str | None = None
    lineno: int | None = None
    instruction = None
    detail = ""
    if kind == LINE:
        assert isinstance(a, CodeType) and isinstance(b, int)
        filename, lineno, event = a.co_filename, b, "line"
    elif kind == INSTRUCTION:
        assert isinstance(a, CodeType) and isinstance(b, int)
        lineno, instruction = INSTRUCTIONS.describe(a, b)
        filename, event = a.co_filename, "instruction"
    elif kind == BLOCK:
        event, detail = "block", f"blocks in {a}"
        if b is not None:
            filename, lineno = b  # type: ignore[misc]
    elif kind == SLEEP:
        event, detail = "sleep", f"sleep({a:g})"
        if b is not None:
            filename, lineno = b  # type: ignore[misc]
    elif kind == FINISH:
        event, detail = "finish", "(finished)"
    elif kind == AWAIT:
        assert isinstance(a, CodeType) and isinstance(b, int)
        filename, lineno, event = a.co_filename, b, "await"
    elif kind == WAIT:
        event = "resume"
        if isinstance(a, CodeType):
            filename, lineno = a.co_filename, b  # type: ignore[assignment]
        else:
            detail = str(a)
            if b is not None:
                filename, lineno = b  # type: ignore[misc]
    elif kind == EVENT:
        event, detail = "event", str(a)
        if b is not None:
            filename, lineno = b  # type: ignore[misc]
    else:  # pragma: no cover - every kind is listed above
        raise ValueError(f"unknown trace entry kind {kind}")
    source = linecache.getline(filename, lineno).strip() if filename and lineno else ""
    return Step(
        index,
        thread,
        names[thread],
        event,
        filename,
        lineno,
        source,
        instruction,
        detail,
        values,
        switch,
        accesses,
    )


def describe_record(record: tuple[int, int, object, object], names: list[str]) -> str:
    """One step of a run in words: who did what, where (for messages, not tables)."""
    step = _step(record, 0, names, (), None)
    where = f" at {_short(step)}" if step.filename else ""
    what = step.describe()
    if step.event == "instruction" and step.source:
        what = f"{what} of `{step.source}`"
    elif step.event in ("line", "await", "resume") and what:
        what = f"`{what}`"
    return " ".join(part for part in (step.thread_name, what) if part) + where
