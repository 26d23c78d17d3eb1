"""Races' own code run with the thread's trace hook off.

A modelled primitive runs a few dozen calls of races' own code for each call from the
program: its stack walked for a site, its synchronisation logged. Under ``sys.settrace``
each of them is a call event, a call of the hook that only says "not under test", and
on a small scenario those calls are most of its cost. None of them is the program's, so
none needs a hook. With ``sys.monitoring`` (3.12+) such code has its events switched off
already, and there is no hook to take off.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

_gettrace, _settrace = sys.gettrace, sys.settrace
_F = TypeVar("_F", bound=Callable[..., Any])


def untraced(function: _F) -> _F:
    """``function`` run with the calling thread's trace hook off, and back on after,
    however it returns. The wrapper's frame is no one's call site (``sites.call_site``
    looks past it)."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        hook = _gettrace()
        if hook is None:
            return function(*args, **kwargs)
        _settrace(None)
        try:
            return function(*args, **kwargs)
        finally:
            _settrace(hook)

    return cast(_F, run)


#: The code of every ``untraced`` wrapper's frame.
WRAPPER_CODE = untraced(lambda: None).__code__
