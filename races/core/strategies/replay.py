"""Replaying a schedule: its switches where it names them, the default everywhere else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from races.core.strategies.base import default_choice
from races.vocabulary.errors import ScheduleDivergedError
from races.vocabulary.outcome import Position


class ReplayChooser:
    """Follows a list of (step, thread) switches.

    Strict (``races.replay``): a switch to a thread that cannot run is an error, since the
    run is no longer the one recorded. Lenient (minimisation): such a switch is dropped,
    so a shrunk schedule still means something.
    """

    def __init__(self, switches: Iterable[tuple[int, int]], strict: bool) -> None:
        self.switches = dict(switches)
        self.strict = strict
        self.used: set[int] = set()

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        target = self.switches.get(step)
        if target is None:
            return default_choice(enabled, current)
        if target in enabled:
            self.used.add(step)
            return target
        if self.strict:
            raise ScheduleDivergedError(
                f"the schedule switches to thread {target} at step {step}, but only threads "
                f"{list(enabled)} can run there. The scenario or the code it calls has changed "
                "since the schedule was recorded, or it is not deterministic"
            )
        return default_choice(enabled, current)

    def unused(self) -> list[tuple[int, int]]:
        return [(s, t) for s, t in sorted(self.switches.items()) if s not in self.used]


class PositionReplayChooser:
    """Follows switches named by position (the thread that just stepped, and its count).

    Used to shrink: dropping one switch moves the global step of every later decision, but
    not a thread's own count, so the switches that remain still happen where they did.
    A switch to a thread that cannot run there is dropped.
    """

    def __init__(self, switches: Iterable[tuple[Position, int]]) -> None:
        self.switches = dict(switches)

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        target = self.switches.get(at)
        default = default_choice(enabled, current)
        if target == ANY_OTHER:
            return next((t for t in enabled if t != default), default)
        if target is not None and target in enabled:
            return target
        return default


#: A switch target meaning "the lowest-numbered thread that can run, other than the default".
ANY_OTHER = -1
