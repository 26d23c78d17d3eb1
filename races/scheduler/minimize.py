"""Shrinking a failing schedule: fewest preemptions first, then the shortest run.

Whichever strategy found the failure, the schedule shown is shrunk the same way, in two
passes. First a bounded search for the fewest preemptions: every schedule with 0, then 1,
... preemptions, up to one fewer than the failure has, stopping at the first that fails
the same way (same kind, same exception type) or when the run budget is spent. Most bugs
need one or two preemptions, so this is cheap and, within its budget, exact. Then greedy
local shrinking, like Hypothesis': drop a switch, or move one earlier, keeping any change
that still fails the same way and is smaller. Candidates are replayed leniently: a switch
that no longer makes sense is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from races.scheduler.outcome import Outcome
from races.strategies.base import Chooser
from races.strategies.dfs import DFSStrategy

Switches = tuple[tuple[int, int], ...]


def _size(outcome: Outcome) -> tuple[int, int, int]:
    return (outcome.preemptions, len(outcome.deviations()), outcome.steps)


def fewest_preemptions(
    run: Callable[[Chooser], Outcome], found: Outcome, max_runs: int = 500
) -> Outcome:
    """A run failing like ``found`` with as few preemptions as a bounded search can find."""
    assert found.failure is not None
    signature = found.failure.signature
    runs = 0
    for bound in range(found.preemptions):
        search = DFSStrategy(preemption_bound=bound)
        while runs < max_runs:
            chooser = search.next_chooser()
            if chooser is None:
                break
            runs += 1
            outcome = run(chooser)
            if outcome.failure is not None and outcome.failure.signature == signature:
                return outcome
        if runs >= max_runs:
            break
    return found


def minimize(run: Callable[[Switches], Outcome], found: Outcome, max_runs: int = 500) -> Outcome:
    """The smallest failing run reachable from ``found`` by dropping or moving switches."""
    assert found.failure is not None
    signature = found.failure.signature
    best = found
    runs = 0

    def better(candidate: Switches) -> bool:
        nonlocal best, runs
        if runs >= max_runs:
            return False
        runs += 1
        outcome = run(candidate)
        if (
            outcome.failure is not None
            and outcome.failure.signature == signature
            and _size(outcome) < _size(best)
        ):
            best = outcome
            return True
        return False

    progress = True
    while progress and runs < max_runs:
        progress = False
        switches = best.deviations()
        # Drop one switch.
        for i in range(len(switches)):
            if better(switches[:i] + switches[i + 1 :]):
                progress = True
                break
        if progress:
            continue
        # Move one switch earlier, halving the distance to its predecessor.
        for i, (step, thread) in enumerate(switches):
            low = switches[i - 1][0] + 1 if i else 1
            target = low
            while target < step:
                moved = (*switches[:i], (target, thread), *switches[i + 1 :])
                if better(moved):
                    progress = True
                    break
                target = (target + step + 1) // 2 if target + 1 < step else step
            if progress:
                break
    return best
