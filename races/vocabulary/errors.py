"""Exceptions races raises. Each says what went wrong, where, and what to do about it."""

from __future__ import annotations

from collections.abc import Callable


class RacesError(Exception):
    """Base class for errors in how races was used (not failures it found)."""


class InternalError(Exception):
    """races itself failed: a bug in races, or the machine ran out of threads or memory.

    Never a verdict on the scenario: the run that met it says nothing about the code under
    test. The command line reports it with its own exit code (4).
    """

    def __init__(self, what: str, cause: BaseException | None = None) -> None:
        detail = f": {type(cause).__name__}: {cause}" if cause is not None else ""
        hint = (
            "the machine ran out of resources; free some, or explore with a smaller budget"
            if isinstance(cause, (MemoryError, OSError)) or "can't start new thread" in str(cause)
            else "this is a bug in races, not in your code; please report it with this message"
        )
        super().__init__(f"races failed while {what}{detail} ({hint})")


class InvalidArgument(RacesError, ValueError):
    """An argument races cannot work with; the message names it and says what it takes."""


class NestedExplorationError(RacesError, RuntimeError):
    """``explore`` was called while another exploration was running."""


class UncontrolledBlockingError(RacesError):
    """A controlled thread blocked in a call the scheduler cannot see (a real lock, I/O).

    races stops every other thread, but cannot interrupt that call: the thread ends when
    the call returns. Once you have freed what it waits for, ``join`` waits for it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.stragglers: list[Callable[[float], bool]] = []

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the threads races could not stop; True when all of them have ended."""
        return all(join(-1 if timeout is None else timeout) for join in self.stragglers)


class UncontrolledThreadError(RacesError):
    """A thread races does not control was running when virtual time had to move on.

    Virtual time jumps when every controlled thread waits; a thread outside races' control
    might be about to wake one of them, so jumping past it could report a timeout that the
    real program would never see.
    """


class ScheduleError(RacesError, ValueError):
    """A schedule string that cannot be parsed, or that was recorded for another setting."""


class ScheduleDivergedError(RacesError):
    """Replaying a schedule asked for a thread that could not run at that step."""


class MissingDependencyError(RacesError, ImportError):
    """An optional dependency races needs for this is not installed."""
