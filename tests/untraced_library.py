"""A thread-safe library the tests tell races not to trace (``exclude=``), as a user
excludes a package: its locks are made at import, before any exploration.

Its code takes a lock and calls the program back while holding it, so a controlled thread
can be stopped at a switch point with the lock held. Each way a library keeps its lock is
here: in the module, in a class, in an object made at import, in a decorator's closure,
and in a table too large to read at a session's start (one lock per key), which stays a
real lock.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

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


class Client:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # an object's lock

    def call_locked(self, callback: Callable[[], None]) -> None:
        with self._lock:
            callback()


DEFAULT_CLIENT = Client()  # made at import, as a library's default client is


def synchronized(function: Callable[..., Any]) -> Callable[..., Any]:
    lock = threading.Lock()  # a decorator's lock, in its wrapper's closure

    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        with lock:
            return function(*args)

    return wrapper


@synchronized
def call_synchronized(callback: Callable[[], None]) -> None:
    callback()


#: One lock per key, in a table too large for a session to read at its start.
KEY_LOCKS = {key: threading.Lock() for key in range(100)}
KEY_RLOCKS = {key: threading.RLock() for key in range(100)}


def call_keyed(callback: Callable[[], None]) -> None:
    lock = KEY_LOCKS[7]
    with lock:
        callback()


def call_keyed_reentrant(callback: Callable[[], None]) -> None:
    lock = KEY_RLOCKS[7]
    lock.acquire()
    try:
        callback()
    finally:
        lock.release()


def pause_keyed(callback: Callable[[], None]) -> None:
    lock = KEY_RLOCKS[8]
    with lock:
        time.sleep(0.001)  # a switch point inside the lock, in no code under test
    callback()


def nest_keyed(callback: Callable[[], None]) -> None:
    lock = KEY_LOCKS[9]
    with lock:
        with REGISTRY._lock:  # a lock the session swaps, taken inside a real one
            pass
    callback()
