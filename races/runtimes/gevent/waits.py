"""Who holds each gevent lock, who waits for which, and which queues greenlets took from.

When every greenlet waits, gevent only says so (``LoopExit``). The wait-for graph says why,
as it does for threads and tasks (``races.core.diagnosis``): greenlets that wait for each
other's locks are a deadlock; one that waits for a lock a finished greenlet kept, or for
work a finished greenlet's queue still holds, waits for a resource that leaked.

Every gevent lock is a semaphore underneath: ``gevent.lock.Semaphore``, ``BoundedSemaphore``
and the patched ``threading.Lock`` directly, ``RLock`` through the semaphore it blocks on.
A semaphore is *held* once an acquire has taken its last unit, by the greenlet whose
acquire did; any release gives a unit back. The child process imports gevent's
pure-Python build, so these classes can be wrapped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import gevent
import gevent.hub
import gevent.lock
import gevent.queue

from races.core.codefilter import CodeFilter
from races.core.diagnosis import Site
from races.core.sites import call_site
from races.runtimes.gevent.accesses import defining


@dataclass
class Hold:
    """A semaphore with no unit left, the greenlet whose acquire took the last one, where."""

    lock: Any
    greenlet: Any
    site: Site | None


class Waits:
    """Installed for a session: each run's holders, waiters and served queues."""

    def __init__(self, under_test: CodeFilter) -> None:
        self.under_test = under_test
        self.holds: dict[int, Hold] = {}  # id(semaphore) -> its hold
        self.waiting: dict[Any, tuple[Any, str]] = {}  # greenlet -> (semaphore, operation)
        self.served: dict[Any, set[int]] = {}  # greenlet -> ids of the queues it took from
        self._undo: list[Callable[[], None]] = []

    def clear(self) -> None:
        """Forget the last run's greenlets (each run makes new ones)."""
        self.holds.clear()
        self.waiting.clear()
        self.served.clear()

    def install(self) -> None:
        semaphore = defining(gevent.lock.Semaphore, "acquire")
        self._wrap(semaphore, "acquire", self._acquire(semaphore.__dict__["acquire"]))
        self._wrap(semaphore, "release", self._release(semaphore.__dict__["release"]))
        queues = (gevent.queue.Queue, gevent.queue.LifoQueue, gevent.queue.PriorityQueue)
        for owner in dict.fromkeys(defining(queue, "_get") for queue in queues):
            self._wrap(owner, "_get", self._get(owner.__dict__["_get"]))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()
        self.clear()

    # -- the wrappers --------------------------------------------------------------

    def _acquire(self, real: Callable[..., Any]) -> Callable[..., Any]:
        holds, waiting, under_test = self.holds, self.waiting, self.under_test

        def acquire(this: Any, blocking: bool = True, timeout: float | None = None) -> Any:
            me = gevent.getcurrent()
            site = call_site(under_test)
            outer = me in waiting  # a wait inside a wait: the outer one is what it waits for
            if not outer:
                waiting[me] = (this, site.operation if site is not None else "acquire")
            try:
                got = real(this, blocking, timeout)
            finally:
                if not outer:
                    del waiting[me]
            if got and this.counter == 0:
                where = (site.filename, site.lineno) if site is not None else None
                holds[id(this)] = Hold(this, me, where)
            return got

        return acquire

    def _release(self, real: Callable[..., Any]) -> Callable[..., Any]:
        holds = self.holds

        def release(this: Any) -> Any:
            holds.pop(id(this), None)
            return real(this)

        return release

    def _get(self, real: Callable[..., Any]) -> Callable[..., Any]:
        served = self.served

        def get(this: Any) -> Any:
            served.setdefault(gevent.getcurrent(), set()).add(id(this))
            return real(this)

        return get

    def _wrap(self, klass: type, name: str, value: Any) -> None:
        old = klass.__dict__[name]
        setattr(klass, name, value)
        self._undo.append(lambda: setattr(klass, name, old))

    # -- what the report names -----------------------------------------------------

    def scopes(self, waiting: list[Any]) -> list[FrameType]:
        """The waiting greenlets' frames in the code under test, innermost first."""
        found: list[FrameType] = []
        for greenlet in waiting:
            frame = greenlet.gr_frame  # each is suspended: the hub's greenlet asks
            while frame is not None:
                if self.under_test(frame.f_code):
                    found.append(frame)
                frame = frame.f_back
        return found

    def label(self, lock: Any, scopes: list[FrameType]) -> str:
        """A lock as the code names it, "`second` (Lock)", or by its class alone."""
        kind = _KINDS.get(type(lock).__name__, type(lock).__name__)
        for frame in scopes:
            for key, value in list(frame.f_locals.items()):
                if value is lock or getattr(value, "_block", None) is lock:  # or its RLock
                    return f"`{key}` ({type(value).__name__.lstrip('_') if value is not lock else kind})"
        return f"a {kind}"

    def work_left(self, scopes: list[FrameType]) -> dict[int, tuple[str, list[Any]]]:
        """Queues that greenlets now ended took from and that still hold items, by id:
        the name the waiting greenlets' code has for each, and its items, first out first."""
        ended = {q for greenlet, queues in self.served.items() if greenlet.dead for q in queues}
        left: dict[int, tuple[str, list[Any]]] = {}
        for frame in scopes:
            for key, value in list(frame.f_locals.items()):
                if id(value) in ended and id(value) not in left and len(value.queue):
                    left[id(value)] = (f"`{key}` ({type(value).__name__})", list(value.queue))
        return left


_KINDS = {  # gevent's classes, as the code under test makes them
    "_AtomicSemaphore": "Semaphore",
    "_AtomicBoundedSemaphore": "BoundedSemaphore",
    "LockType": "Lock",
}
