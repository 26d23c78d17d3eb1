"""What one controlled run produced: how it ended, and the choices that made it end so."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from races.vocabulary.access import Event
from races.vocabulary.kinds import FailureKind


@dataclass
class Failure:
    """A failed run: its kind, a one-line message, and the report that explains it."""

    kind: FailureKind
    message: str
    exception: BaseException | None = None
    thread: str | None = None
    report: str = ""
    #: The named pattern behind it, when the run's accesses show one ("lost update").
    pattern: str | None = None
    #: A deadlock's wait-for cycle: each unit in it, and what it waits for that the next
    #: one holds ("waits for b.lock (Lock)"; the last waits for the first). Empty when
    #: the failure is not a deadlock.
    cycle: tuple[tuple[str, str], ...] = ()

    @property
    def signature(self) -> tuple[str, str]:
        """What must stay the same while a failing schedule is shrunk."""
        name = type(self.exception).__name__ if self.exception is not None else ""
        return (self.kind.value, name)


def describe(exc: BaseException | None) -> str:
    """An exception in one line: its type, and its message if it has one."""
    if exc is None:
        return ""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def scenario_failure(exc: Exception) -> Failure:
    """The scenario itself raised: an assertion, or any other exception."""
    kind = FailureKind.ASSERTION if isinstance(exc, AssertionError) else FailureKind.EXCEPTION
    return Failure(kind, describe(exc), exc, "main")


#: Where a decision is taken, in terms that survive changes elsewhere in the run: the
#: thread that took the step just before it, and how many steps that thread has taken.
#: A thread's own count does not move when other threads are reordered, so a switch named
#: this way still means the same thing after other switches are dropped (see ``minimize``).
Position = tuple[int, int]


@dataclass(slots=True, unsafe_hash=True)  # a value (``races.vocabulary.access``)
class Decision:
    """A switch point where more than one thread could run, and which one did."""

    step: int
    chosen: int
    default: int
    preemption: bool
    at: Position = (0, 0)


@dataclass
class Outcome:
    """Everything one run leaves behind; traces are kept as compact tuples until rendered."""

    failure: Failure | None
    steps: int
    decisions: list[Decision]
    trace: list[tuple[Any, ...]]
    thread_names: list[str]
    snapshots: list[tuple[str, ...]] = field(default_factory=list)
    #: What the steps touched and how they synchronised, in the order it happened.
    events: list[Event] = field(default_factory=list)
    #: Whether a step runs whole, with no other unit in between (a task's step from one
    #: await to the next), so that two accesses in one step can never be split.
    atomic_steps: bool = False
    #: Whether the chooser ended the run early (``CUT``): it would only have repeated runs
    #: already made.
    cut: bool = False
    #: The code locations this run skipped, by code object (a sampling search's focus,
    #: ``races.core.focus``): its steps are counted without them. None: it skipped none.
    quiet: Mapping[Any, frozenset[int]] | None = None

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def preemptions(self) -> int:
        return sum(d.preemption for d in self.decisions)

    def deviations(self) -> tuple[tuple[int, int], ...]:
        """The choices that differ from the default policy: together they are the schedule."""
        return tuple((d.step, d.chosen) for d in self.decisions if d.chosen != d.default)

    def local_deviations(self) -> tuple[tuple[Position, int], ...]:
        """The same choices, each named by its position instead of its global step."""
        return tuple((d.at, d.chosen) for d in self.decisions if d.chosen != d.default)
