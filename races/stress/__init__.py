"""Stress mode: run a scenario many times on real threads and count what actually happens.

The scheduler proves what *can* happen; stress shows what *does* happen on this
interpreter, jcstress-style: for each setting (switch interval, noise), an outcome
histogram with each outcome's share and verdict.

``sweep``      the harness: batches of runs in child processes behind a watchdog
``child``      the child side of a batch: the runs themselves, on real threads
``histogram``  settings, run results, histograms and their verdicts
``campaign``   every case of the catalogue, beside what the scheduler needed
``search``     Hypothesis choosing (and shrinking) a failing configuration
"""

from races.stress.histogram import (
    DEFAULT_INTERVAL,
    DEFAULT_SETTINGS,
    METHOD_SETTINGS,
    Histogram,
    RunResult,
    Setting,
    forbidden_outcomes,
    render,
    settings_for,
    verdicts_for,
)
from races.stress.sweep import StressInterrupted, stress

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_SETTINGS",
    "METHOD_SETTINGS",
    "Histogram",
    "RunResult",
    "Setting",
    "StressInterrupted",
    "forbidden_outcomes",
    "render",
    "settings_for",
    "stress",
    "verdicts_for",
]
