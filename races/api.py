"""The public API, as ``import races`` gives it: what a user calls and what they get back.

Everything is defined in the layers below; this module only gathers it, so that the
package's face is one short list (``races.__all__`` is this ``__all__``).
"""

from __future__ import annotations

from races.core.result import Interrupted, RaceFailure, Result
from races.core.trace import Step, Trace
from races.runtimes.launch import detect, explore, replay
from races.vocabulary.errors import (
    InternalError,
    InvalidArgument,
    NestedExplorationError,
    RacesError,
    ScheduleDivergedError,
    ScheduleError,
    UncontrolledBlockingError,
    UncontrolledThreadError,
)
from races.vocabulary.kinds import FailureKind
from races.vocabulary.outcome import Failure
from races.vocabulary.schedule import Schedule

__all__ = [
    "Failure",
    "FailureKind",
    "InternalError",
    "Interrupted",
    "InvalidArgument",
    "NestedExplorationError",
    "RaceFailure",
    "RacesError",
    "Result",
    "Schedule",
    "ScheduleDivergedError",
    "ScheduleError",
    "Step",
    "Trace",
    "UncontrolledBlockingError",
    "UncontrolledThreadError",
    "detect",
    "explore",
    "replay",
]
