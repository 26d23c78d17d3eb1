"""What one controlled run produced: how it ended, and the choices that made it end so."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class FailureKind(enum.StrEnum):
    """How a run went wrong. The values are what reports and the CLI print."""

    ASSERTION = "assertion"
    EXCEPTION = "exception"
    THREAD_EXCEPTION = "thread exception"
    DEADLOCK = "deadlock"
    STUCK = "stuck thread"
    STEP_LIMIT = "step limit"

    def __str__(self) -> str:
        return self.value


@dataclass
class Failure:
    """A failed run: its kind, a one-line message, and the report that explains it."""

    kind: FailureKind
    message: str
    exception: BaseException | None = None
    thread: str | None = None
    report: str = ""

    @property
    def signature(self) -> tuple[str, str]:
        """What must stay the same while a failing schedule is shrunk."""
        name = type(self.exception).__name__ if self.exception is not None else ""
        return (self.kind.value, name)


@dataclass(frozen=True)
class Decision:
    """A switch point where more than one thread could run, and which one did."""

    step: int
    chosen: int
    default: int
    preemption: bool


@dataclass
class Outcome:
    """Everything one run leaves behind; traces are kept as compact tuples until rendered."""

    failure: Failure | None
    steps: int
    decisions: list[Decision]
    trace: list[tuple[Any, ...]]
    thread_names: list[str]
    snapshots: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def preemptions(self) -> int:
        return sum(d.preemption for d in self.decisions)

    def deviations(self) -> tuple[tuple[int, int], ...]:
        """The choices that differ from the default policy: together they are the schedule."""
        return tuple((d.step, d.chosen) for d in self.decisions if d.chosen != d.default)
