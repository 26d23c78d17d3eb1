"""races: make concurrency bugs visible, reproducible and understandable.

``races.explore(scenario)`` runs ordinary threading code one thread at a time under a
deterministic scheduler, tries interleavings until one fails, and reports the smallest
failing one with a schedule that ``races.replay`` reruns exactly. ``races.detect(scenario)``
runs it once and reports the races its reads and writes predict, even when it passed.
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
    detect,
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
    "detect",
    "explore",
    "replay",
]
