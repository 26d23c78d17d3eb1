"""The record of one run of a controlled event loop: its steps, its decisions, its values.

The asyncio and gevent runtimes run one task (greenlet) step at a time and decide, when
several are ready, which one goes. ``StepLog`` is what both keep of that, in the form an
``Outcome`` needs; each loop mixes it in. (The threads runtime keeps the same record on
its hot path, in ``Execution``.)
"""

from __future__ import annotations

from typing import Any

from races.core.runtime import Watch
from races.core.strategies.base import CUT, Chooser, DefaultChooser
from races.vocabulary.access import Event
from races.vocabulary.kinds import StepKind
from races.vocabulary.outcome import Decision, Failure, Outcome, Position

#: Steps a run may take to wind down (cancel or kill what is left) once its outcome is known.
WIND_DOWN_STEPS = 10_000


class RunCut(Exception):
    """The chooser ended the run (``CUT``): the loop stops where it is."""


class StepLog:
    def start_log(self, chooser: Chooser, max_steps: int, watch: Watch | None) -> None:
        self.chooser = chooser
        self.max_steps = max_steps
        self.watch = watch
        self.step = 0
        self.trace: list[tuple[Any, ...]] = []
        self.decisions: list[Decision] = []
        self.snapshots: list[tuple[str, ...]] = []
        self.steps_of: dict[int, int] = {}  # unit -> steps it has taken

    def position(self) -> Position:
        """The unit that took the last step, and how many steps it has taken."""
        last = self.trace[-1][0] if self.trace else 0
        return (last, self.steps_of.get(last, 0))

    def choose(self, step: int, ready: list[int], what: str) -> int:
        """Which of the ``ready`` units (the default first) takes step ``step``."""
        if len(ready) == 1:
            return ready[0]
        at = self.position()
        chosen = self.chooser.choose(step, ready, None, at)
        if chosen == CUT:
            raise RunCut
        if chosen not in ready:
            raise RuntimeError(f"races: chooser picked {what} {chosen}, not one of {ready}")
        self.decisions.append(Decision(step, chosen, ready[0], False, at))
        return chosen

    def record(self, unit: int, kind: StepKind, a: Any, b: Any) -> None:
        """``unit`` takes a step; the watched values are read as it starts."""
        self.trace.append((unit, kind, a, b))
        self.steps_of[unit] = self.steps_of.get(unit, 0) + 1
        if self.watch is not None:
            self.snapshots.append(self.watch())

    def wind_down(self) -> None:
        """The outcome is known: finish in the default order, within a bounded allowance."""
        self.chooser = DefaultChooser()
        self.max_steps = self.step + WIND_DOWN_STEPS

    def outcome(
        self,
        failure: Failure | None,
        names: list[str],
        events: list[Event] | None = None,
        cut: bool = False,
    ) -> Outcome:
        """The run as an ``Outcome``, with the values after its last step."""
        if self.watch is not None:
            self.snapshots.append(self.watch())
        return Outcome(
            failure=failure,
            steps=self.step,
            decisions=list(self.decisions),
            trace=list(self.trace),
            thread_names=names,
            snapshots=list(self.snapshots),
            events=events or [],
            atomic_steps=True,
            cut=cut,
        )
