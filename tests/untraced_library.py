"""A thread-safe library the tests tell races not to trace (``exclude=``), as the standard
library or an excluded package is: its locks, made at import, stay real while exploring.

Its code takes its lock and calls the program back while holding it, so a controlled
thread can be stopped at a switch point with the real lock held.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_lock = threading.Lock()  # a module's lock, made at import


def call_locked(callback: Callable[[], None]) -> None:
    with _lock:
        callback()


class Registry:
    _lock = threading.RLock()  # a class's lock, made at import

    def call_locked(self, callback: Callable[[], None]) -> None:
        self._lock.acquire(True, -1)
        try:
            callback()
        finally:
            self._lock.release()


REGISTRY = Registry()
