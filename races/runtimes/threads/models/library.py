"""Accesses that happen inside a library, logged at the line of the code that called it.

races sees what code under test touches; a library's own state (a timer's cancel flag,
an entry of a cache server) changes in code it does not trace. A model of such a
library logs the access itself, as the step of the thread that made the call, at the
call's line, so reports name it like any other.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from races.core.untraced import untraced
from races.runtimes.threads import execution
from races.vocabulary.access import Access, Kind, Location


@untraced
def log(location: Location, kind: Kind) -> None:
    """Log ``kind`` of ``location`` for the calling controlled thread, if any."""
    here = execution.controlled()
    if here is None:
        return
    ex, rec = here
    if not ex.tracer.recording:
        return
    frame = sys._getframe(1)
    while frame is not None and not ex.under_test(frame.f_code):
        frame = frame.f_back  # type: ignore[assignment]
    where = (frame.f_code, frame.f_lasti) if frame is not None else None
    ex.events.append((rec.index, rec.last_step, Access(location, kind), where))


def described(real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, a library call a model has logged whole: what it runs inside (a
    client's socket calls) is not opaque, since the model already said what it does."""

    def call(*args: Any, **kwargs: Any) -> Any:
        here = execution.controlled()
        if here is None:
            return real(*args, **kwargs)
        rec = here[1]
        rec.described += 1
        try:
            return real(*args, **kwargs)
        finally:
            rec.described -= 1

    return call
