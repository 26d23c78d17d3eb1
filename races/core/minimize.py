"""Shrinking a failing run to the smallest interleaving that fails the same way.

The smallest is the one with the fewest preemptions, then the fewest departures from the
default order, then the fewest steps; "the same way" is the same kind of failure with the
same exception type. Each candidate costs a whole run, and a run of a large scenario costs
a tenth of a second, so the order of the attempts matters more than their cleverness.
Cheap, likely reductions come first, as in Hypothesis' shrinker:

1. no switch at all (the default order);
2. the shortest prefix of the switches that still fails, by bisection: what comes after
   the last switch that matters is dropped in a logarithmic number of runs;
3. that last switch alone, and otherwise the shortest suffix of the prefix that still
   fails, by bisection again;
4. each remaining switch alone;
5. a preemption moved to the same point of a lower-numbered thread (identical workers
   reach the same point at the same count of their own steps);
6. runs of switches dropped, halves first, down to single ones;
7. when two or more preemptions are left, a bounded exhaustive search for fewer (most
   bugs need one or two: Musuvathi and Qadeer, PLDI 2007);
8. each switch moved earlier in its thread, halving the distance.

Candidates name their switches by *position* (the thread that just stepped, and how many
steps it had taken: ``PositionReplayChooser``), so dropping an early switch does not move
the later ones. Every candidate is remembered and never run twice, and the whole search
has a time budget: when it runs out, the smallest failing run found so far is kept and the
result says that shrinking stopped early.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from races.core.strategies.base import Chooser
from races.core.strategies.dfs import DFSStrategy
from races.core.strategies.replay import ANY_OTHER, PositionReplayChooser
from races.vocabulary.errors import ScheduleDivergedError
from races.vocabulary.outcome import Outcome, Position

Switches = tuple[tuple[Position, int], ...]

#: Seconds shrinking may take by default, and runs it may spend.
DEFAULT_TIME = 5.0
DEFAULT_RUNS = 1000


def size(outcome: Outcome) -> tuple[int, int, int, tuple[int, ...]]:
    """What shrinking minimises, in order of importance: preemptions, departures from the
    default order, steps, and then how early the departures come (the earlier, the less
    of the run a reader must follow before the bug)."""
    deviations = outcome.deviations()
    return (
        outcome.preemptions,
        len(deviations),
        outcome.steps,
        tuple(step for step, _ in deviations),
    )


@dataclass
class Shrunk:
    """What shrinking found: the smallest failing run, and how it got there."""

    best: Outcome
    #: Every failing run it accepted, the one it started from first and ``best`` last.
    accepted: list[Outcome] = field(default_factory=list)
    replays: int = 0
    seconds: float = 0.0
    #: Why it stopped before it was done ("time", "runs"), or None if it finished.
    stopped: str | None = None


class _OutOfBudget(Exception):
    pass


class Shrinker:
    """One shrinking search; ``result`` is how far it has got, at any moment."""

    def __init__(
        self,
        run: Callable[[Chooser], Outcome],
        found: Outcome,
        *,
        seconds: float = DEFAULT_TIME,
        max_runs: int = DEFAULT_RUNS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        assert found.failure is not None
        self.run = run
        self.signature = found.failure.signature
        self.result = Shrunk(found, [found])
        self.tried: dict[Switches, bool] = {found.local_deviations(): True}
        self.clock = clock
        self.start = clock()
        self.deadline = self.start + seconds
        self.max_runs = max_runs
        self._searched: Outcome | None = None  # the best the exact search last started from

    @property
    def best(self) -> Outcome:
        return self.result.best

    def _check_budget(self) -> None:
        if self.result.replays >= self.max_runs:
            self.result.stopped = "runs"
            raise _OutOfBudget
        if self.clock() >= self.deadline:
            self.result.stopped = "time"
            raise _OutOfBudget

    def _consider(self, outcome: Outcome) -> bool:
        """Whether ``outcome`` fails the same way; kept as the best if it is smaller."""
        if outcome.failure is None or outcome.failure.signature != self.signature:
            return False
        self.tried[outcome.local_deviations()] = True
        if size(outcome) < size(self.best):
            self.result.best = outcome
            self.result.accepted.append(outcome)
        return True

    def fails(self, candidate: Sequence[tuple[Position, int]]) -> bool:
        """Run ``candidate`` (once, ever) and say whether it fails the same way."""
        key = tuple(candidate)
        known = self.tried.get(key)
        if known is not None:
            return known
        self._check_budget()
        self.result.replays += 1
        failed = self._consider(self.run(PositionReplayChooser(key)))
        self.tried[key] = failed
        return failed

    # ------------------------------------------------------------------ the passes

    def shrink(self) -> Shrunk:
        passes = (
            self._bisect_prefix,
            self._bisect_suffix,
            self._each_alone,
            self._lower_threads,
            self._drop_chunks,
            self._fewer_preemptions,
            self._move_earlier,
        )
        try:
            if not self.fails(()):
                # Until a whole round finds nothing smaller; remembered candidates cost nothing.
                before = None
                while size(self.best) != before:
                    before = size(self.best)
                    for shrink_pass in passes:
                        shrink_pass()
        except _OutOfBudget:
            pass
        self.result.seconds = self.clock() - self.start
        return self.result

    def _bisect_prefix(self) -> None:
        """Keep the shortest prefix of the switches that still fails."""
        switches = self.best.local_deviations()
        low, high = 0, len(switches)  # the prefix of `low` passes, of `high` fails
        while high - low > 1:
            middle = (low + high) // 2
            if self.fails(switches[:middle]):
                high = middle
            else:
                low = middle

    def _bisect_suffix(self) -> None:
        """Keep the shortest suffix of the switches that still fails: the last one alone
        first, since often it is the only one that matters."""
        switches = self.best.local_deviations()
        if len(switches) < 2 or self.fails(switches[-1:]):
            return
        low, high = 0, len(switches) - 1  # the suffix from `low` fails, from `high` passes
        while high - low > 1:
            middle = (low + high) // 2
            if self.fails(switches[middle:]):
                low = middle
            else:
                high = middle

    def _each_alone(self, most: int = 8) -> None:
        """Each switch on its own, the last ones first: a bug that needs one preemption
        needs only one of them, and it is rarely an early one."""
        switches = self.best.local_deviations()
        if len(switches) > 1 and self.best.preemptions > 1:
            for switch in switches[::-1][:most]:
                if self.fails((switch,)):
                    return

    def _lower_threads(self, most: int = 3) -> None:
        """A preemption moved to the same point of a lower-numbered thread.

        Workers that run the same function reach the same point at the same count of their
        own steps, and in the default order the lowest-numbered one gets there first: the
        earliest, shortest version of a bug that one worker's preemption shows. The last
        preemptions are tried first, each with the lowest few threads.
        """
        preemptions = [d.at for d in self.best.decisions if d.preemption]
        for thread, step in preemptions[::-1][:most]:
            for lower in range(min(thread, most)):
                if self.fails((((lower, step), ANY_OTHER),)):
                    return

    def _drop_chunks(self) -> None:
        """Drop runs of switches, halves first, then quarters, down to single ones (the
        complement step of Zeller's delta debugging): noise goes in a few large bites."""
        chunk = max(1, len(self.best.local_deviations()) // 2)
        while chunk >= 1:
            switches = self.best.local_deviations()
            i = 0
            while i < len(switches):
                before = size(self.best)
                if self.fails(switches[:i] + switches[i + chunk :]) and size(self.best) < before:
                    switches = self.best.local_deviations()
                else:
                    i += chunk
            chunk //= 2

    def _fewer_preemptions(self, runs_per_bound: int = 30) -> None:
        """Every schedule with fewer preemptions, depth first, until one fails the same way.

        Exact for small scenarios; for large ones each bound's share of runs ends it first.
        """
        if self.best.preemptions < 2 or self.best is self._searched:
            return
        self._searched = self.best
        for bound in range(self.best.preemptions):
            search = DFSStrategy(preemption_bound=bound)
            runs = 0
            while runs < runs_per_bound:
                chooser = search.next_chooser()
                if chooser is None:
                    break
                self._check_budget()
                self.result.replays += 1
                runs += 1
                try:
                    outcome = self.run(chooser)
                except ScheduleDivergedError:
                    return  # the scenario is not deterministic: an exact search means nothing
                if self._consider(outcome):
                    return

    def _move_earlier(self) -> None:
        """Move each switch earlier in its thread, halving the distance each time."""
        progress = True
        while progress:
            progress = False
            switches = self.best.local_deviations()
            for i, ((thread, step), target) in enumerate(switches):
                low = 1
                while low < step:
                    moved = (*switches[:i], ((thread, low), target), *switches[i + 1 :])
                    before = size(self.best)
                    if self.fails(moved) and size(self.best) < before:
                        progress = True
                        break
                    low = (low + step + 1) // 2
                if progress:
                    break


def shrink(
    run: Callable[[Chooser], Outcome],
    found: Outcome,
    *,
    seconds: float = DEFAULT_TIME,
    max_runs: int = DEFAULT_RUNS,
    clock: Callable[[], float] = time.monotonic,
) -> Shrunk:
    """The smallest run failing like ``found`` that shrinking reaches within its budget."""
    return Shrinker(run, found, seconds=seconds, max_runs=max_runs, clock=clock).shrink()
