"""races: make concurrency bugs visible, reproducible and understandable.

``races.explore(scenario)`` runs ordinary threading code one thread at a time under a
deterministic scheduler, tries interleavings until one fails, and reports the smallest
failing one with a schedule that ``races.replay`` reruns exactly.
"""

from __future__ import annotations

from races.api import (
    Failure,
    FailureKind,
    InternalError,
    Interrupted,
    InvalidArgument,
    NestedExplorationError,
    RaceFailure,
    RacesError,
    Result,
    Schedule,
    ScheduleDivergedError,
    ScheduleError,
    Step,
    Trace,
    UncontrolledBlockingError,
    UncontrolledThreadError,
    explore,
    replay,
)

__version__ = "0.1.0"

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
    "__version__",
    "explore",
    "replay",
]
