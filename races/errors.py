"""Exceptions races raises. Each says what went wrong, where, and what to do about it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from races.result import Result


class RacesError(Exception):
    """Base class for errors in how races was used (not failures it found)."""


class NestedExplorationError(RacesError, RuntimeError):
    """``explore`` was called while another exploration was running."""


class UncontrolledBlockingError(RacesError):
    """A controlled thread blocked in a call the scheduler cannot see (a real lock, I/O)."""


class ScheduleError(RacesError, ValueError):
    """A schedule string that cannot be parsed, or that was recorded for another setting."""


class ScheduleDivergedError(RacesError):
    """Replaying a schedule asked for a thread that could not run at that step."""


class RaceFailure(AssertionError):
    """The scenario failed under some interleaving. The message shows it and how to replay it."""

    def __init__(self, message: str, result: Result) -> None:
        super().__init__(message)
        self.result = result
