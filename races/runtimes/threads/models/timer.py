"""``threading.Timer``, as the access model sees it: a check of its cancellation, and
the cancel that should come first.

A timer's thread waits out the interval, then checks whether it was cancelled and, if
not, runs the function; ``cancel()`` sets that flag. Both happen inside ``threading``,
where races records nothing, so the run would show a function that ran and a cancel
that did not stop it, but not why. These wrappers log the check as a read, and the
cancel as a write, of the timer's ``finished`` event: a cancel that comes after the
check it was meant to beat is an order violation the report can name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from races.runtimes.threads.models import library
from races.vocabulary.access import Kind, Location

_real_cancel = threading.Timer.cancel


def _finished(timer: Any) -> Location:
    return Location(id(timer), "finished", "timer.finished")


def run(self: Any) -> None:
    self.finished.wait(self.interval)
    library.log(_finished(self), Kind.READ)  # is it cancelled? that decides if it fires
    if not self.finished.is_set():
        self.function(*self.args, **self.kwargs)
    self.finished.set()


def cancel(self: Any) -> None:
    library.log(_finished(self), Kind.WRITE)
    _real_cancel(self)


#: What the session sets on ``threading.Timer``.
METHODS: dict[str, Callable[..., Any]] = {"run": run, "cancel": cancel}
