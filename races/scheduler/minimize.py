"""Shrinking a failing schedule: fewest preemptions first, then the shortest run.

Whichever strategy found the failure, the schedule shown is shrunk the same way. Each
candidate is replayed leniently (a switch that no longer makes sense is dropped), and kept
if the run fails the same way (same kind, same exception type) and is smaller. Greedy
and local, like Hypothesis' shrinker: it cannot promise the global minimum, but every
switch left in the result is needed for the failure.
"""

from __future__ import annotations

from collections.abc import Callable

from races.scheduler.outcome import Outcome

Switches = tuple[tuple[int, int], ...]


def _size(outcome: Outcome) -> tuple[int, int, int]:
    return (outcome.preemptions, len(outcome.deviations()), outcome.steps)


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
            if better(switches[:i] + switches[i + 1:]):
                progress = True
                break
        if progress:
            continue
        # Move one switch earlier, halving the distance to its predecessor.
        for i, (step, thread) in enumerate(switches):
            low = switches[i - 1][0] + 1 if i else 1
            target = low
            while target < step:
                moved = switches[:i] + ((target, thread),) + switches[i + 1:]
                if better(moved):
                    progress = True
                    break
                target = (target + step + 1) // 2 if target + 1 < step else step
            if progress:
                break
    return best
