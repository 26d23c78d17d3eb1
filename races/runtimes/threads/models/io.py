"""Waiting for I/O (``selectors``) under the scheduler: a blocking operation it can see.

An event loop run by a controlled thread (``asyncio.run`` in a plain scenario) sleeps in
``selector.select(timeout)`` until a file descriptor is ready or a timer is due. Left to
itself, that call would block the one thread allowed to run, and with it everyone: the
worker of ``asyncio.to_thread`` could never hand its result back. So a controlled thread
that selects first looks (without waiting) and, when nothing is ready, *blocks* in the
scheduler like a lock waiter: it is enabled again as soon as a descriptor is ready, and
its timeout is virtual. Other threads run meanwhile; the worker's ``call_soon_threadsafe``
writes to the loop's wake-up pipe, and the loop thread can go on.

Descriptors the loop only uses to wake itself up can be written only by threads races
controls. Any other descriptor (a socket, a pipe to a process) is the outside world: the
scheduler waits for it in real time before it lets virtual time jump (see ``Execution``).
"""

from __future__ import annotations

import selectors
from collections.abc import Callable
from typing import Any

from races.core.sites import call_site
from races.runtimes.threads import execution

_Select = Callable[[Any, float | None], list[Any]]


class IOWait:
    """What a thread blocked in ``select`` waits for: some descriptor of ``selector`` to be
    ready. It quacks like the locks threads otherwise wait for: ``locked()`` while nothing
    is ready, no holder."""

    holder = None
    serial = 0

    def __init__(self, selector: Any, select: _Select) -> None:
        self.selector = selector
        self._select = select
        keys = list(selector.get_map().values())
        fds = sorted(key.fd for key in keys if not _is_wake_up(key))
        self.external = bool(fds)
        if fds:
            self.label = f"I/O on file descriptor{'s' if len(fds) != 1 else ''} " + ", ".join(
                str(fd) for fd in fds
            )
        else:  # the number changes from run to run; the name says what would wake it
            self.label = "its event loop's wake-up, which only call_soon_threadsafe sends"

    def locked(self) -> bool:
        return not self._select(self.selector, 0)


def _is_wake_up(key: selectors.SelectorKey) -> bool:
    """An asyncio loop's own wake-up pipe: only ``call_soon_threadsafe`` writes to it."""
    handles = key.data if isinstance(key.data, tuple) else (key.data,)  # (reader, writer)
    callbacks = [getattr(h, "_callback", None) for h in handles if h is not None]
    return bool(callbacks) and all(
        getattr(c, "__name__", "") == "_read_from_self" for c in callbacks
    )


def controlled_select(real: _Select) -> _Select:
    """``real`` (a selector class's ``select``), blocking in the scheduler when controlled."""

    def select(self: Any, timeout: float | None = None) -> list[Any]:
        here = execution.controlled()
        if here is None:
            return real(self, timeout)
        ready = real(self, 0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        ex, rec = here
        site = call_site(ex.under_test)
        where = (site.filename, site.lineno) if site is not None else None
        ex.block(rec, IOWait(self, real), timeout, "select", where)
        return real(self, 0)

    select.__wrapped__ = real  # type: ignore[attr-defined]
    return select


#: The selector classes this platform has; each gets a controlled ``select``.
SELECTORS = [
    getattr(selectors, name)
    for name in (
        "SelectSelector",
        "PollSelector",
        "EpollSelector",
        "DevpollSelector",
        "KqueueSelector",
    )
    if hasattr(selectors, name)
]
