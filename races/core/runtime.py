"""What every runtime offers the core, and the little they all need from it.

A *runtime* runs one scenario many times, once per chooser, one thread (or task, or
greenlet) at a time, and turns each run into an ``Outcome``. It is a context manager: on
the way in it installs whatever the runtime needs (patches, trace hooks, a hub), on the
way out it removes all of it, whatever the way out is. Three implement it:
``races.runtimes.threads``, ``races.runtimes.asyncio`` and ``races.runtimes.gevent``.

The core (search, shrinking, confirmation, diagnosis) only ever talks to this protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Protocol

from races.core.strategies.base import Chooser
from races.vocabulary.errors import InvalidArgument, NestedExplorationError
from races.vocabulary.outcome import Outcome

#: Reads the watched variables after a step, as short reprs.
Watch = Callable[[], tuple[str, ...]]

#: Real seconds outside I/O (a socket to a real server) may take to answer before
#: virtual time jumps past it: a real program would have waited for the answer.
IO_GRACE = 0.1


class Runtime(Protocol):
    #: What a step of this runtime is, as schedules spell it: "line", "instruction",
    #: "await" (a task's step from one await to the next) or "greenlet".
    points: str
    #: Runs made so far.
    runs: int
    #: Whether runs record what their steps touch (the access model). Shrinking turns it
    #: off: it compares outcomes only, and runs faster without.
    recording: bool

    def __enter__(self) -> Runtime: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def run(self, chooser: Chooser, watch: Watch | None = None) -> Outcome:
        """One run of the scenario, every decision taken by ``chooser``."""
        ...


class _OneAtATime:
    """Explorations patch process-wide state, so at most one runs in a process at a time.

    Every runtime enters this guard when it opens and leaves it when it closes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = False

    def enter(self, advice: str = "") -> None:
        with self._lock:
            if self.open:
                raise NestedExplorationError(
                    "races.explore() was called while another exploration is running (from "
                    "inside a scenario, or from another thread). Exploring patches state of "
                    "the whole process, so explorations cannot nest or overlap: explore one "
                    f"scenario at a time{advice}."
                )
            self.open = True

    def leave(self) -> None:
        self.open = False


EXPLORING = _OneAtATime()


def scenario_name(scenario: Callable[..., object]) -> str:
    """How to name the scenario in a replay line: importable if it can be."""
    module = getattr(scenario, "__module__", None)
    qualname = getattr(scenario, "__qualname__", None)
    if module and qualname and "<" not in qualname:
        return f"{module}.{qualname}"
    return f"<scenario {qualname or scenario!r}>"


def check_session(scenario: object, max_steps: int) -> None:
    """What every runtime's session takes: a scenario it can call, and a step limit."""
    if not callable(scenario):
        raise InvalidArgument(
            f"scenario must be a callable taking no arguments, not {type(scenario).__name__}"
        )
    if max_steps < 1:
        raise InvalidArgument(f"max_steps must be at least 1, not {max_steps}")


def check_watch(scenario: Callable[..., object], watch: Sequence[str]) -> None:
    """``watch`` must name module-level variables of the scenario's module."""
    if isinstance(watch, str):
        raise InvalidArgument(f"watch takes a list of names, such as watch=[{watch!r}]")
    namespace = getattr(getattr(scenario, "__func__", scenario), "__globals__", None)
    for name in watch:
        head = name.split(".")[0]
        if namespace is None or head not in namespace:
            raise InvalidArgument(
                f"watch: {head!r} is not a global of the scenario's module "
                f"({scenario_name(scenario)}); watch names module-level variables, such as "
                "watch=['counter'] or watch=['account.balance']"
            )


def make_watch(scenario: Callable[..., object], names: Sequence[str]) -> Watch:
    """Read ``names`` (dotted paths from the scenario's module globals) as short reprs."""
    target: Any = getattr(scenario, "__func__", scenario)
    namespace: dict[str, Any] = getattr(target, "__globals__", {})

    def read(path: str) -> str:
        head, *rest = path.split(".")
        try:
            value = namespace[head]
            for attr in rest:
                value = value[attr] if isinstance(value, dict) else getattr(value, attr)
        except (KeyError, AttributeError):
            return "?"
        text = repr(value)
        return text if len(text) <= 20 else text[:17] + "..."

    def snapshot() -> tuple[str, ...]:
        return tuple(read(name) for name in names)

    return snapshot
