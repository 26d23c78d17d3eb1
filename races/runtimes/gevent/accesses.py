"""What greenlets touch: the access model for the controlled gevent loop.

A greenlet runs from one switch to the next without interruption, so its steps are atomic,
as a task's are: another greenlet can only come in where one waits. ``races.core.recorder``
logs what each greenlet step touches; this module adds what orders greenlets: spawning
(the spawner's step before the greenlet's first), joining (a greenlet's last step before
a join or ``joinall`` that returns), and gevent's semaphores and locks, events and queues,
which order the step that gives (release, set, put) before the step that takes.

gevent's primitives are compiled; the child process that runs greenlets imports gevent's
pure-Python build (``GEVENT_PURE_PYTHON``), whose classes can be wrapped.
"""

from __future__ import annotations

from typing import Any

import gevent
import gevent.event
import gevent.lock
import gevent.queue

from races.core.recorder import StepRecorder


def defining(klass: type, name: str) -> type:
    """The class of ``klass``'s MRO that defines ``name``: the one to wrap."""
    return next(k for k in klass.__mro__ if name in k.__dict__)


class GreenletAccesses(StepRecorder):
    """The recorder of a controlled gevent loop's run."""

    def patch(self) -> None:
        semaphore = gevent.lock.Semaphore
        self.wrap_take(defining(semaphore, "acquire"), "acquire", mutex=True)
        self.wrap_give(defining(semaphore, "release"), "release")
        self.wrap_take(defining(gevent.event.Event, "wait"), "wait")
        self.wrap_give(defining(gevent.event.Event, "set"), "set")
        self.wrap_give(defining(gevent.queue.Queue, "put"), "put")
        self.wrap_take(defining(gevent.queue.Queue, "get"), "get")
        self._wrap_greenlets()

    def _wrap_greenlets(self) -> None:
        """A greenlet starts after its spawner's step and ends before a join returns: each
        greenlet gets a token, given at ``start``, taken at its first step, given again
        at its end and taken by whoever joins it."""
        klass = gevent.Greenlet
        synced = self.synced
        real_start, real_run, real_join = (
            klass.__dict__["start"],
            klass.__dict__["run"],
            klass.__dict__["join"],
        )

        def token(greenlet: Any) -> Any:
            found = greenlet.__dict__.get("_races_token")
            if found is None:
                found = greenlet.__dict__["_races_token"] = object()
            return found

        def start(this: Any) -> None:
            synced("release", token(this))
            real_start(this)

        def run(this: Any) -> Any:
            synced("acquire", token(this))
            try:
                return real_run(this)
            finally:
                synced("release", token(this))

        def join(this: Any, timeout: float | None = None) -> None:
            real_join(this, timeout)
            if this.dead:
                synced("acquire", token(this))

        self._set(klass, "start", start)
        self._set(klass, "run", run)
        self._set(klass, "join", join)

        real_joinall = gevent.joinall

        def joinall(greenlets: Any, *args: Any, **kwargs: Any) -> Any:
            done = real_joinall(greenlets, *args, **kwargs)
            for greenlet in greenlets:
                if getattr(greenlet, "dead", False):
                    synced("acquire", token(greenlet))
            return done

        for module in (gevent, gevent.greenlet):
            if getattr(module, "joinall", None) is real_joinall:
                self._set_attribute(module, "joinall", joinall)

    def _set_attribute(self, owner: Any, name: str, value: Any) -> None:
        old = getattr(owner, name)
        setattr(owner, name, value)
        self._undo.append(lambda: setattr(owner, name, old))
