"""Birth records: where each real lock was made, kept from before any exploration.

A thread-safe library makes its locks when it is imported, long before the scenario runs.
Inside an exploration races swaps such a lock for a modelled one where the code under test
reads it, and an excluded package's where its namespaces keep it (``patches``); a lock
that only untraced code reaches otherwise (the standard library's, an item of a long
table) stays real, and when a controlled thread ends up waiting for one, the report says
which lock it is and where it was made. Only a record kept at the lock's birth can say the
second.

``install()`` replaces the lock constructors (``threading.Lock``, ``threading.RLock``'s C
lock, ``_thread.allocate_lock``) with ones that make the same real lock and note the line
that made it. The lock itself is untouched: acquiring and releasing it cost what they
always did, and only making one costs a Python call more. The pytest plugin, the
``races`` command and ``python -m races exec script.py`` install the records first, so a
library imported after them has its locks' births on record.
"""

from __future__ import annotations

import _thread
import queue
import sys
import threading
import weakref
from types import CodeType
from typing import Any

REAL_ALLOCATE_LOCK = _thread.allocate_lock
REAL_LOCK_TYPE = _thread.LockType
REAL_RLOCK = _thread.RLock

#: The files whose frames are skipped to find who made a lock: ``threading``'s
#: ``Condition()`` or a ``queue.Queue()`` made it for the line that called them.
PLUMBING = frozenset({threading.__file__, queue.__file__})

_births: weakref.WeakKeyDictionary[Any, tuple[CodeType, int]] = weakref.WeakKeyDictionary()
_saved: list[tuple[Any, str, Any, Any]] = []  # (owner, name, real, recording)
_installs: list[None] = []


def _note(lock: Any) -> Any:
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename in PLUMBING:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is not None:
        _births[lock] = (frame.f_code, frame.f_lineno)
    return lock


def allocate_lock() -> Any:
    """``_thread.allocate_lock`` (and 3.11-3.12's ``threading.Lock``), noting the birth."""
    return _note(REAL_ALLOCATE_LOCK())


def rlock(*args: Any, **kwargs: Any) -> Any:
    """``threading.RLock``'s C lock, noting the birth."""
    return _note(REAL_RLOCK(*args, **kwargs))


class _LockClass(type):
    """3.13's ``threading.Lock`` is the lock type itself, and code checks
    ``isinstance(x, threading.Lock)``: the recording constructor keeps that true."""

    def __call__(cls) -> Any:
        return _note(REAL_ALLOCATE_LOCK())

    def __instancecheck__(cls, instance: object) -> bool:
        return type(instance) is REAL_LOCK_TYPE

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, REAL_LOCK_TYPE)


class Lock(metaclass=_LockClass):
    """``threading.Lock`` on 3.13 while birth records are on."""


#: Each recording constructor, for ``patches`` to swap like the real one it stands for.
CONSTRUCTORS: tuple[Any, ...] = (allocate_lock, rlock, Lock)


def install() -> None:
    """Note the birth of every lock made from now on. Each ``install`` is undone by one
    ``uninstall``: a pytest session run inside another (pytester) leaves the outer
    session's records on."""
    _installs.append(None)
    if len(_installs) > 1:
        return
    lock = Lock if isinstance(threading.Lock, type) else allocate_lock
    for owner, name, value in (
        (_thread, "allocate_lock", allocate_lock),
        (_thread, "allocate", allocate_lock),
        (threading, "Lock", lock),
        (threading, "_CRLock", rlock),
    ):
        old = getattr(owner, name, None)
        if old is None:
            continue
        _saved.append((owner, name, old, value))
        setattr(owner, name, value)


def uninstall() -> None:
    """Undo one ``install``; the last puts the real constructors back (locks already
    made keep their records). A constructor someone replaced since (gevent's monkey
    patching) is theirs: it stays."""
    if not _installs:
        return
    _installs.pop()
    if _installs:
        return
    while _saved:
        owner, name, old, recording = _saved.pop()
        if getattr(owner, name, None) is recording:
            setattr(owner, name, old)


def installed() -> bool:
    return bool(_installs)


def where(lock: Any) -> str | None:
    """``file:line`` of the code that made ``lock``, if its birth is on record."""
    try:
        code, line = _births[lock]
    except (KeyError, TypeError):
        return None
    return f"{code.co_filename}:{line} ({code.co_qualname})"
