"""One CPU for the threads of a run.

Only one controlled thread runs at a time, so they lose nothing by sharing one CPU, and a
handoff within one CPU costs about a quarter of a handoff between two (``nox -s bench``
measures both floors): the thread woken does not wait for another CPU to wake up, then
wait again for the interpreter lock that the thread that woke it still holds. Each
schedule hands over at about half its decisions, so this is a good part of what a
library-sized schedule costs.

So on Linux the first thread of each run pins itself to the CPU it starts on (where the
kernel found room; pinning it elsewhere would cost a migration, as much as a handoff), and
the threads it starts inherit that CPU as they are born. Nothing else moves: the caller's
thread and every thread races does not control keep the CPUs they had, and a process
forked by a controlled thread gets back the caller's CPUs as it starts. (A program a
controlled thread ``exec``\\s starts on the one CPU; it may widen its own affinity.) Where
the process may use one CPU only, or the platform cannot say which CPU a thread runs on,
nothing is pinned.
"""

from __future__ import annotations

import _thread
import os
from collections.abc import Callable

_get_ident = _thread.get_ident  # captured: while exploring, _thread's functions are models
_setaffinity = getattr(os, "sched_setaffinity", None)


def _find_getcpu() -> Callable[[], int] | None:
    """The C library's ``sched_getcpu`` (0.1 us a call; ``os`` has none)."""
    try:
        import ctypes

        getcpu: Callable[[], int] = ctypes.CDLL(None).sched_getcpu
    except (ImportError, OSError, AttributeError):
        return None
    return getcpu if getcpu() >= 0 else None


_getcpu = _find_getcpu() if _setaffinity is not None else None


class Pin:
    """Pins the threads of a session's runs; made where the session starts."""

    def __init__(self, allowed: frozenset[int]) -> None:
        #: The CPUs the session's caller may use: what a forked process gets back.
        self.allowed = allowed

    def first(self) -> int | None:
        """Pin the calling thread, the first of a run, to the CPU it runs on; that CPU."""
        assert _setaffinity is not None and _getcpu is not None
        cpu = _getcpu()
        try:
            _setaffinity(0, (cpu,))  # 0: the calling thread, on Linux
        except OSError:
            return None  # the CPU was taken away meanwhile (a cgroup changed)
        self.born()
        return cpu

    def born(self) -> None:
        """The calling thread is a controlled one, pinned (or born of one that is)."""
        _pinned[_get_ident()] = self.allowed
        _watch_forks()


def choose() -> Pin | None:
    """How a session's threads are pinned, or None where there is no choice to make."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    if _getcpu is None or getaffinity is None:
        return None
    allowed = frozenset(getaffinity(0))
    return Pin(allowed) if len(allowed) > 1 else None


def ended(ident: int) -> None:
    """A controlled thread has ended: forget it (a new thread may reuse its ident)."""
    _pinned.pop(ident, None)


#: The controlled threads still running, by ident: the CPUs their session's caller had.
_pinned: dict[int, frozenset[int]] = {}
_watching = False


def _watch_forks() -> None:
    global _watching
    if not _watching:
        _watching = True
        os.register_at_fork(after_in_child=_after_fork)


def _after_fork() -> None:
    """In a process forked by a controlled thread: the CPUs the program had, back."""
    allowed = _pinned.get(_get_ident())
    _pinned.clear()
    if allowed is not None and _setaffinity is not None:
        try:
            _setaffinity(0, allowed)
        except OSError:
            pass
