"""The kinds of things races names: steps of a run, ways a run fails, verdicts on outcomes."""

from __future__ import annotations

import enum


class StepKind(enum.IntEnum):
    """What one recorded step of a run is. A run records ``(unit, kind, a, b)`` tuples; what
    ``a`` and ``b`` hold depends on the kind."""

    LINE = 0  # a: code object, b: line number
    INSTRUCTION = 1  # a: code object, b: instruction offset
    BLOCK = 2  # a: operation name, b: (filename, lineno) of the call in code under test
    FINISH = 3  # the thread ended
    SLEEP = 4  # a: seconds, b: (filename, lineno)
    EVENT = 5  # a task step with no frame to show: a: what happened, b: (file, line) or None
    AWAIT = 6  # a task step, run at once: a: code object, b: line resumed at
    WAIT = 7  # a greenlet step, run at once: a: code object, b: line; or a: what, b: site


class FailureKind(enum.StrEnum):
    """How a run went wrong. The values are what reports and the CLI print."""

    ASSERTION = "assertion"
    EXCEPTION = "exception"
    THREAD_EXCEPTION = "thread exception"
    DEADLOCK = "deadlock"
    STUCK = "stuck thread"
    #: Work still unfinished when the program ends (a task nobody awaited, cancelled by
    #: ``asyncio.run``; a greenlet the program exits past): not stuck, just abandoned.
    LOST_WORK = "lost work"
    STEP_LIMIT = "step limit"
    #: A failure that happened once and did not happen again when its schedule was replayed.
    NOT_REPRODUCIBLE = "found, not reproducible"
    #: Found in a run's accesses, not in its result: another thread's write can fall
    #: between one thread's read and its write back (a lost update, a check-then-act).
    RACE = "race"
    #: Locks taken in orders that form a cycle: a deadlock some interleaving will hit.
    LOCK_ORDER = "lock-order inversion"
    #: A semaphore given back more often than it was taken: its limit grew.
    OVER_RELEASE = "over-release"

    def __str__(self) -> str:
        return self.value


#: Verdicts a case declares on an outcome, as jcstress does: the same outcome is
#: *interesting* for the broken variant and must never appear for a fix.
ACCEPTABLE = "acceptable"
FORBIDDEN = "forbidden"
