"""The result of an exploration: what failed, the minimal interleaving, and how to replay it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from races.core.detect import LockEdge
from races.core.explain import Cause
from races.core.html import result_page
from races.core.trace import Trace
from races.vocabulary.kinds import FailureKind
from races.vocabulary.outcome import Failure
from races.vocabulary.schedule import Schedule

#: Steps of the interleaving a report shows when its cause is not known.
SHORT = 6


@dataclass
class Result:
    """What ``races.explore`` or ``races.replay`` found.

    ``failed`` and ``kind`` say whether and how the scenario went wrong; ``schedule`` is the
    minimal failing interleaving as a string ``races.replay`` accepts; ``trace`` its steps;
    ``render()`` the whole story as text; ``raise_if_failed()`` turns it into an exception.
    """

    scenario: str
    strategy: str
    granularity: str
    schedules: int
    summary: str
    failure: Failure | None = None
    schedule: Schedule | None = None
    trace: Trace | None = None
    preemptions: int = 0
    found_after: int | None = None
    #: Shrinking: runs it replayed, seconds it took, and why it stopped early (or None).
    shrink_replays: int = 0
    shrink_seconds: float = 0.0
    shrink_stopped: str | None = None
    #: Every cause the run's accesses show or predict, the one the report leads with first.
    findings: list[Cause] = field(default_factory=list)
    #: The lock-order graph of a detected run: what a pytest run merges across its tests.
    lock_edges: list[LockEdge] = field(default_factory=list)
    #: A detected run whose threads ran free: the trace is that run, which no schedule
    #: replays; the replay line reruns the scenario under the scheduler instead.
    real_threads: bool = False

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def kind(self) -> FailureKind | None:
        return self.failure.kind if self.failure is not None else None

    @property
    def replay_line(self) -> str:
        """The exact line to paste to see this interleaving again."""
        return f"races.replay({self.scenario}, {str(self.schedule)!r})"

    def render(self, *, full: bool = False) -> str:
        """The failure explained: the cause, the report, the interleaving, the replay line.

        When the run's accesses name the cause, the report leads with it and its focused
        interleaving, and the whole step table is left out unless ``full`` is true.
        """
        if self.failure is None:
            return f"{self.scenario}: {self.summary}"
        failure = self.failure
        title = failure.pattern or str(failure.kind)
        lines = [
            f"{title} in {self.scenario}: {failure.message}",
            self.summary,
        ]
        if failure.report:
            lines += ["", failure.report]
        if self.trace is not None:
            lines += ["", *self._interleaving(failure, full)]
        if self.real_threads:
            lines += ["", f"To rerun it under the scheduler: {self.replay_line}"]
        else:
            lines += ["", f"To replay: {self.replay_line}"]
        return "\n".join(lines)

    def _interleaving(self, failure: Failure, full: bool) -> list[str]:
        """The step table: whole when asked for; else the last steps, or nothing when the
        report's cause already shows the steps that matter."""
        assert self.trace is not None
        if failure.kind is FailureKind.STEP_LIMIT:
            return ["The last steps:", self.trace.render(last=20)]
        if self.granularity in ("await", "greenlet"):
            changes = self.schedule.switches if self.schedule else ()
            how = f"{len(changes)} departure{'' if len(changes) == 1 else 's'} from FIFO order"
        else:
            how = f"{self.preemptions} preemption{'' if self.preemptions == 1 else 's'}"
        title = f"Minimal interleaving ({how}, {len(self.trace)} steps)"
        if self.strategy == "detect":
            title = f"The run ({'its threads free, ' if self.real_threads else ''}{len(self.trace)} steps)"
        if full:
            return [f"{title}:", self.trace.render()]
        if failure.pattern is not None:
            return [f"{title}: render(full=True) or --full shows every step."]
        return [
            f"{title}, its last {min(SHORT, len(self.trace))} (render(full=True) or --full "
            "shows every step):",
            self.trace.render(last=SHORT),
        ]

    def to_html(self) -> str:
        """The result as a whole HTML page that opens from the file system with no network:
        the cause, the interleaving as swimlanes with the conflicting accesses joined, a
        deadlock's wait-for cycle, and the replay line with a button that copies it."""
        return result_page(self)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (what ``--json`` prints): the verdict, the failure's
        kind, pattern and message, the schedule that replays it, and the counts."""
        failure = self.failure
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "granularity": self.granularity,
            "failed": self.failed,
            "kind": None if failure is None else str(failure.kind),
            "pattern": None if failure is None else failure.pattern,
            "message": None if failure is None else failure.message,
            "schedule": None if self.schedule is None else str(self.schedule),
            "summary": self.summary,
            "schedules": self.schedules,
            "found_after": self.found_after,
            "preemptions": self.preemptions,
            "shrink": {
                "replays": self.shrink_replays,
                "seconds": round(self.shrink_seconds, 3),
                "stopped": self.shrink_stopped,
            },
            "findings": [{"pattern": c.pattern, "summary": c.summary} for c in self.findings],
        }

    def raise_if_failed(self) -> None:
        """Raise ``RaceFailure`` (an ``AssertionError``) carrying ``render()`` if it failed."""
        __tracebackhide__ = True  # pytest: the failure is the report, not this line
        if self.failure is None:
            return
        error = RaceFailure(self.render(), self)
        if self.failure.exception is not None:
            raise error from self.failure.exception
        raise error

    def __str__(self) -> str:
        return self.render()


class RaceFailure(AssertionError):
    """The scenario failed under some interleaving. The message shows it and how to replay it."""

    def __init__(self, message: str, result: Result) -> None:
        super().__init__(message)
        self.result = result


RaceFailure.__module__ = "races"  # as users import it, and as pytest's summary names it


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped an exploration; the message says how far it had got.

    ``result`` is what was found so far: None, or a failed ``Result`` whose schedule was
    not yet confirmed by a strict replay when the interruption came.
    """

    def __init__(self, message: str, result: Result | None = None) -> None:
        super().__init__(message)
        self.result = result
