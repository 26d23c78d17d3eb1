"""Confirming a failure: replay its schedule strictly, and never lose it if that fails.

Shrinking replays candidates leniently and keeps those that fail the same way; the one
reported must also replay *strictly*, because the schedule printed with it is a promise
that ``races.replay`` shows the same run. A scenario that depends on something races does
not control (a server's state, real time, unseeded randomness, a thread or process it did
not start) may fail once and not again. Then the smallest candidate that does replay is
reported instead; and if not even the run the search found replays, the result is still a
failure, of its own kind, with the step where the replay went another way and what to do
about it. A failure found is never turned into a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from races.core.minimize import Shrunk
from races.core.strategies.base import Chooser
from races.core.strategies.replay import ReplayChooser
from races.vocabulary.errors import ScheduleDivergedError
from races.vocabulary.kinds import FailureKind
from races.vocabulary.outcome import Failure, Outcome
from races.vocabulary.schedule import Schedule

#: Strict replays tried, smallest candidate first; the run the search found is always last.
MAX_REPLAYS = 4

LIKELY_CAUSES = (
    "the scenario depends on something races does not control: I/O (a socket, a file, a "
    "server whose state outlives a run), real time, unseeded randomness, or a thread or "
    "process races did not start"
)
WHAT_TO_DO = (
    "make each run start from the same state (reset the server's keys, seed the random "
    "generator, fake the clock or the I/O) and explore again; the interleaving below is "
    "the run that failed"
)


@dataclass
class Confirmed:
    """The run to report, and the schedule that replays it (or why none does)."""

    outcome: Outcome
    schedule: Schedule
    reproducible: bool
    divergence: str = ""


def confirm(
    run: Callable[[Chooser], Outcome],
    points: str,
    shrunk: Shrunk,
) -> Confirmed:
    """Replay the candidates strictly, smallest first, until one fails the same way."""
    candidates = shrunk.accepted[::-1]
    if len(candidates) > MAX_REPLAYS:
        candidates = [*candidates[: MAX_REPLAYS - 1], candidates[-1]]
    divergence = ""
    for candidate in candidates:
        assert candidate.failure is not None
        schedule = Schedule(points, candidate.deviations())
        chooser = ReplayChooser(schedule.switches, strict=True)
        try:
            replayed = run(chooser)
        except ScheduleDivergedError as exc:
            divergence = f"the replay parted from it: {exc}"
            continue
        failure = replayed.failure
        if (
            failure is not None
            and failure.signature == candidate.failure.signature
            and not chooser.unused()
        ):
            return Confirmed(replayed, schedule, True)
        divergence = describe_divergence(candidate, replayed)
    original = shrunk.accepted[0]
    return Confirmed(original, Schedule(points, original.deviations()), False, divergence)


def describe_divergence(first: Outcome, again: Outcome) -> str:
    """Where a replay went another way than the run it replays, in one sentence."""
    from races.core.trace import describe_record

    for i, (a, b) in enumerate(zip(first.trace, again.trace, strict=False)):
        if a != b:
            return (
                f"at step {i + 1} the failing run had "
                f"{describe_record(a, first.thread_names)}, and the replay "
                f"{describe_record(b, again.thread_names)}"
            )
    common = min(len(first.trace), len(again.trace))
    if again.failure is None:
        return f"the replay took the same {common} steps as the failing run, and passed"
    return (
        f"the replay took the same {common} steps as the failing run, and failed otherwise "
        f"({again.failure.kind}: {again.failure.message})"
    )


def not_reproducible(original: Failure, divergence: str) -> Failure:
    """The failure to report when not even the run the search found replays."""
    return Failure(
        FailureKind.NOT_REPRODUCIBLE,
        f"{original.kind}: {original.message}; it did not happen again when its schedule "
        f"was replayed ({divergence})",
        original.exception,
        original.thread,
        report=(
            f"Found, not reproducible: {LIKELY_CAUSES}.\n"
            f"What to do: {WHAT_TO_DO}.\n" + (f"\n{original.report}" if original.report else "")
        ),
    )
