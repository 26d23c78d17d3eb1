"""``_thread.lock`` under the scheduler: the primitive every other one is built on."""

from __future__ import annotations

import _thread
import sys
import threading
from types import FrameType
from typing import Any

from races.core.sites import MUTEX_OPERATIONS, Site, call_site
from races.core.untraced import WRAPPER_CODE, untraced
from races.runtimes.threads import births, execution
from races.vocabulary.access import Sync
from races.vocabulary.kinds import StepKind

_real_allocate_lock = _thread.allocate_lock
TIMEOUT_MAX = _thread.TIMEOUT_MAX


def _message(call: Any) -> str:
    """The running Python's own wording for an error, which changes between versions."""
    try:
        call()
    except (ValueError, OverflowError) as exc:
        return str(exc)
    raise AssertionError("expected the real lock to refuse")  # pragma: no cover


_NEGATIVE_TIMEOUT = _message(lambda: _real_allocate_lock().acquire(timeout=-100))
_NONBLOCKING_TIMEOUT = _message(lambda: _real_allocate_lock().acquire(False, 1))


class Lock:
    """A lock with CPython's semantics whose waits are decided by the scheduler.

    It wraps a real lock, which holds the state: a thread the scheduler does not control
    (or any thread once exploration is over) simply uses the real lock. A controlled thread
    never blocks on it for real; it takes it only when it is free, and otherwise parks in
    the scheduler until the lock is released or its virtual timeout expires.
    """

    __slots__ = ("__weakref__", "_holder", "_lock", "_made", "_site", "serial")

    @untraced
    def __init__(self) -> None:
        self._lock = _real_allocate_lock()
        self._holder: Any = None
        self._site: Site | None = None
        ex = execution.active
        self.serial = ex.next_lock_serial() if ex is not None else 0
        self._made = ex.lock_classes.name(ex.under_test) if ex is not None else None
        here = execution.controlled()
        if here is not None:  # its birth, so that runs can name it alike (dpor)
            here[0].synced(here[1], Sync("made", id(self)))

    @untraced
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not blocking and timeout != -1:
            raise ValueError(_NONBLOCKING_TIMEOUT)
        if timeout < 0 and timeout != -1:
            raise ValueError(_NEGATIVE_TIMEOUT)
        if timeout > TIMEOUT_MAX:
            raise OverflowError("timeout value is too large")
        here = execution.controlled()
        if here is None:
            return self._lock.acquire(blocking, timeout)
        ex, rec = here
        _switch_before_untraced_caller(ex, rec)
        if self._lock.acquire(False):
            self._took(ex, rec)
            if not blocking or timeout == 0:  # it only looked: had it come earlier...
                ex.synced(rec, Sync("try", id(self)))
            return True
        if not blocking or timeout == 0:
            # It found the lock taken: that depends on the order with its release (a
            # thread's `is_alive()` is this), which partial-order reduction must try.
            ex.synced(rec, Sync("try", id(self)))
            return False
        site = call_site(ex.under_test)
        op = site.operation if site is not None else "Lock.acquire"
        where = (site.filename, site.lineno) if site is not None else None
        remaining = None if timeout == -1 else float(timeout)
        while True:
            woke = ex.block(rec, self, remaining, op, where)
            if self._lock.acquire(False):
                self._took(ex, rec)
                return True
            if not woke:
                return False

    def _took(self, ex: execution.Execution, rec: Any) -> None:
        self._holder = rec
        site = call_site(ex.under_test)
        self._site = site
        mutex = site is not None and site.operation in MUTEX_OPERATIONS
        if mutex:
            rec.took(self)
        ex.synced(rec, Sync("acquire", id(self), _where(site), mutex, made=self._made))

    def _acquire_for(self, rec: Any) -> None:
        """Take the lock on behalf of a thread that is about to start (3.13 handles)."""
        self._lock.acquire()
        self._holder = rec

    @untraced
    def release(self) -> None:
        here = execution.controlled()
        if here is not None:  # before the lock is free: no one can take it in between
            ex, rec = here
            ex.synced(rec, Sync("release", id(self), _where(call_site(ex.under_test))))
        self._lock.release()
        holder = self._holder
        if holder is not None:
            holder.gave_back(self)
            self._holder = None

    def release_at_exit(self) -> None:
        """What CPython does to a thread's sentinel when the thread ends."""
        if self._lock.locked():
            self.release()

    def locked(self) -> bool:
        return self._lock.locked()

    @untraced
    def __enter__(self) -> bool:
        return self.acquire()

    @untraced
    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _at_fork_reinit(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._lock = _real_allocate_lock()
        self._holder = None
        self._site = None

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    @property
    def holder(self) -> Any:
        return self._holder

    @property
    def site(self) -> Site | None:
        return self._site

    def __repr__(self) -> str:
        state = "locked" if self._lock.locked() else "unlocked"
        return f"<{state} races.runtimes.threads.models.lock.Lock object at {id(self):#x}>"


#: The files between a lock and the code that takes it: this one, the standard
#: library's primitives built on it (a ``Condition``, a ``Queue``), and ``untraced``'s.
_PLUMBING = births.PLUMBING | {__file__, WRAPPER_CODE.co_filename}


def _switch_before_untraced_caller(ex: execution.Execution, rec: Any) -> None:
    """A switch point before a lock is taken by code of a package the session excludes
    (code races would trace by default, but not in this session).

    In traced code, the instruction that takes a lock has a switch point before it. In
    an excluded package's code there is none, so without this one the thread that runs
    first would always take the lock first: ``dpor`` would prove a program whose result
    depends on which thread takes it first. The standard library's own locks need none:
    the call that reaches them has its switch point just before, in the caller's code.
    """
    if not ex.under_test.excludes:
        return  # every lock's taker is traced, or the standard library
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename in _PLUMBING:
        frame = frame.f_back
    if frame is None:
        return
    code = frame.f_code
    if not ex.under_test(code) and execution.TRACED_BY_DEFAULT(code):
        # Inside a real lock the package holds, a stop here would be luck (see there).
        where = f"is about to take a lock at {code.co_filename}:{frame.f_lineno}, inside"
        ex.stop_if_real_lock_held(rec, frame, where)
        ex.switch_point(rec, StepKind.INSTRUCTION, code, frame.f_lasti)


def _where(site: Site | None) -> tuple[str, int] | None:
    return (site.filename, site.lineno) if site is not None else None


@untraced
def allocate_lock() -> Any:
    """``threading.Lock`` / ``_allocate_lock`` while exploring: modelled on controlled threads."""
    if execution.controlled() is None:
        return _real_allocate_lock()
    return Lock()


_REAL_LOCK_TYPE = _thread.LockType


class _LockTypeMeta(type):
    def __call__(cls) -> Any:
        return allocate_lock()

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, (_REAL_LOCK_TYPE, Lock))

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, (_REAL_LOCK_TYPE, Lock))


class LockType(metaclass=_LockTypeMeta):
    """``_thread.LockType`` (and 3.13's ``threading.Lock``, the same type) while exploring.

    Calling it gives the calling thread its kind of lock, as ``allocate_lock`` does, and
    ``isinstance`` accepts real and modelled locks alike, so type checks in the code under
    test keep working.
    """


def rlock() -> Any:
    """``_thread.RLock`` while exploring: CPython's pure-Python RLock on a modelled lock."""
    if execution.controlled() is None:
        return _real_rlock()
    return threading._PyRLock()  # type: ignore[attr-defined]


_real_rlock = getattr(_thread, "RLock", None) or (lambda: None)
