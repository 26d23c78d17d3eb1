"""Schedules as text: the few choices that make a run differ from the default one.

Every run is determined by the choices made where more than one thread could run. The
default choice keeps the running thread going, and when it blocks or ends, picks the
lowest-numbered thread that can run (threads are numbered in start order, the scenario's
own thread is 0). A schedule lists only the departures from that default, as
``step>thread``: ``"instruction@3.12: 7>1 15>0"`` means "at step 7 switch to thread 1, at
step 15 to thread 0, otherwise run by default". The prefix records the granularity and
the Python version. Steps are counted the way that version runs the code (its bytecode,
and at line granularity its line events: 3.11 gives each comprehension a frame of its
own, 3.12 inlines it), so a schedule replays only on the minor version that recorded it.
A schedule written without a version is taken to be for the running one.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from races.vocabulary.errors import ScheduleError

# "await": task steps of a coroutine scenario; "greenlet": greenlet steps of a gevent one.
_GRANULARITIES = ("line", "instruction", "await", "greenlet")
_HEADER = re.compile(r"^\s*(line|instruction|await|greenlet)(?:@(\d+\.\d+))?\s*:\s*(.*?)\s*$", re.S)
_SWITCH = re.compile(r"^(\d+)>(\d+)$")


def current_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class Schedule:
    """A replayable interleaving: granularity, Python version, and the switches."""

    granularity: str
    switches: tuple[tuple[int, int], ...]
    python: str | None = None

    def __post_init__(self) -> None:
        if self.granularity not in _GRANULARITIES:
            raise ScheduleError(
                "granularity must be 'line', 'instruction', 'await' or 'greenlet', "
                f"not {self.granularity!r}"
            )
        if self.python is None:
            object.__setattr__(self, "python", current_python())

    def __str__(self) -> str:
        head = f"{self.granularity}@{self.python}"
        body = " ".join(f"{step}>{thread}" for step, thread in self.switches) or "-"
        return f"{head}: {body}"

    @property
    def threads(self) -> set[int]:
        return {thread for _, thread in self.switches}

    @classmethod
    def parse(cls, text: str | Schedule) -> Schedule:
        """Read a schedule printed by races; errors say what is wrong and what is expected."""
        if isinstance(text, Schedule):
            return text
        if not isinstance(text, str):
            raise ScheduleError(
                f"a schedule is a string such as 'line@3.12: 4>1 9>0', not {type(text).__name__}"
            )
        match = _HEADER.match(text)
        if match is None:
            raise ScheduleError(
                f"malformed schedule {text!r}: expected '<granularity>: <step>><thread> ...', "
                "for example 'line@3.12: 4>1 9>0' or 'instruction@3.12: 7>1'; copy it exactly as "
                "races printed it"
            )
        granularity, python, body = match.groups()
        switches: list[tuple[int, int]] = []
        if body not in ("", "-"):
            for token in body.split():
                m = _SWITCH.match(token)
                if m is None:
                    raise ScheduleError(
                        f"malformed schedule {text!r}: {token!r} is not '<step>><thread>' "
                        "(two whole numbers, such as 7>1)"
                    )
                step, thread = int(m.group(1)), int(m.group(2))
                if step < 1:
                    raise ScheduleError(
                        f"malformed schedule {text!r}: steps count from 1, not {step}"
                    )
                if switches and step <= switches[-1][0]:
                    raise ScheduleError(
                        f"malformed schedule {text!r}: steps must increase, but {step} follows "
                        f"{switches[-1][0]}"
                    )
                switches.append((step, thread))
        return cls(granularity, tuple(switches), python)

    def check_python(self) -> None:
        if self.python is not None and self.python != current_python():
            raise ScheduleError(
                f"this schedule was recorded on Python {self.python}, and this is Python "
                f"{current_python()}: steps are counted in the bytecode and line events of the "
                f"version that ran, so it cannot be replayed here. Explore again on "
                f"{current_python()} to get a schedule for it"
            )
