"""``threading.Timer``, as the access model sees it: a check of its cancellation, and
the cancel that should come first.

A timer's thread waits out the interval, then checks whether it was cancelled and, if
not, runs the function; ``cancel()`` sets that flag. Both happen inside ``threading``,
where races records nothing, so the run would show a function that ran and a cancel
that did not stop it, but not why. These wrappers log the check as a read, and the
cancel as a write, of one location named after the timer: a cancel that comes after
the check it was meant to beat is an order violation the report can name.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from races.runtimes.threads import execution
from races.vocabulary.access import Access, Kind, Location

_real_run = threading.Timer.run
_real_cancel = threading.Timer.cancel


def _log(timer: Any, kind: Kind, where: Any) -> None:
    here = execution.controlled()
    if here is not None:
        ex, rec = here
        location = Location(id(timer), "finished", "timer.finished")
        ex.events.append((rec.index, rec.last_step, Access(location, kind), where))


def run(self: Any) -> None:
    self.finished.wait(self.interval)
    _log(self, Kind.READ, None)  # is it cancelled? the answer decides whether it fires
    if not self.finished.is_set():
        self.function(*self.args, **self.kwargs)
    self.finished.set()


def cancel(self: Any) -> None:
    here = execution.controlled()
    where = None
    if here is not None:
        frame = sys._getframe(1)
        while frame is not None and not here[0].under_test(frame.f_code):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None:
            where = (frame.f_code, frame.f_lasti)
    _log(self, Kind.WRITE, where)
    _real_cancel(self)


#: What the session sets on ``threading.Timer``.
METHODS: dict[str, Callable[..., Any]] = {"run": run, "cancel": cancel}
