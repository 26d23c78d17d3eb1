"""Thread start, and what ``Thread.join`` waits on, under the scheduler.

CPython 3.11 and 3.12 start a ``Thread`` with ``_start_new_thread`` and join it by waiting
on a *sentinel* lock (``_set_sentinel``) that the runtime releases when the thread's state
is deleted. 3.13 starts it with ``_start_joinable_thread`` and joins it through a
``_ThreadHandle``. We model whichever the running Python has; ``Thread`` itself runs
unchanged.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable
from functools import partial
from typing import Any

from races.core.untraced import untraced
from races.runtimes.threads import execution
from races.runtimes.threads.models.lock import Lock
from races.vocabulary.access import Sync
from races.vocabulary.kinds import FailureKind
from races.vocabulary.outcome import describe

_real_start_new_thread = _thread.start_new_thread
_real_set_sentinel = getattr(_thread, "_set_sentinel", None)
_real_start_joinable_thread = getattr(_thread, "start_joinable_thread", None)
_real_thread_handle = getattr(_thread, "_ThreadHandle", None)


@untraced
def start_new_thread(
    function: Callable[..., object], args: tuple[Any, ...], kwargs: dict[str, Any] | None = None
) -> int:
    ex = execution.active
    if ex is None or execution.controlled() is None:
        return _real_start_new_thread(function, args, kwargs or {})
    ex.spawn(partial(function, **kwargs) if kwargs else function, args)
    return 0  # Thread.start ignores it; the thread sets its own ident when it runs


@untraced
def start_raw_thread(
    function: Callable[..., object], args: tuple[Any, ...], kwargs: dict[str, Any] | None = None
) -> int:
    """``_thread.start_new_thread`` itself, as CPython's own lock tests and some libraries
    call it: no ``threading.Thread``, so the controlled thread is named after its function,
    and an exception that escapes it fails the run as one in a ``Thread`` would."""
    here = execution.controlled()
    if here is None:
        return _real_start_new_thread(function, args, kwargs or {})
    ex = here[0]
    call = partial(function, *args, **(kwargs or {}))

    def body() -> None:
        try:
            call()
        except SystemExit:
            pass  # as in CPython: a `_thread` thread may end itself this way
        except BaseException as exc:
            if isinstance(exc, execution.Abort):  # the run is over: unwind
                raise
            name = getattr(function, "__qualname__", repr(function))
            ex.fail(
                FailureKind.THREAD_EXCEPTION,
                exc,
                message=f"{describe(exc)} (uncaught in a _thread thread running {name})",
            )

    name = getattr(function, "__qualname__", None) or repr(function)
    ex.spawn(body, (), label=f"_thread {name}")
    return 0


@untraced
def count() -> int:
    """``_thread._count``: the threads running besides the main one, as the scenario sees
    them (the scenario's own thread plays the main one)."""
    here = execution.controlled()
    if here is None:
        return real_count()
    ex = here[0]
    return ex.outside_threads + sum(1 for rec in ex.live if rec.index != 0)


real_count = _thread._count


@untraced
def set_sentinel() -> Any:
    here = execution.controlled()
    if here is None:
        assert _real_set_sentinel is not None
        return _real_set_sentinel()
    rec = here[1]
    lock = Lock()
    rec.release_at_exit(lock)
    return lock


class ThreadHandle:
    """3.13's ``_thread._ThreadHandle``: joined by waiting for a lock its thread holds."""

    def __init__(self) -> None:
        self._running = Lock()
        self._rec: Any = None
        self._ident: int | None = None  # once its thread has ended
        self._done = False

    def _start(self, rec: Any) -> None:
        self._rec = rec
        self._running._acquire_for(rec)

    @property
    def ident(self) -> int | None:
        return self._rec.ident if self._rec is not None else self._ident

    @untraced
    def is_done(self) -> bool:
        # Whether the thread has ended: a look at its lock, ordered with the thread's end
        # (partial-order reduction must try both orders; ``Lock.acquire`` does the same).
        here = execution.controlled()
        if here is not None:
            here[0].synced(here[1], Sync("try", id(self._running)))
        return self._done

    @untraced
    def join(self, timeout: float | None = None) -> None:
        if self._done:
            # The thread's end still happens before the join returns: say so, as taking
            # and giving back its lock would.
            here = execution.controlled()
            if here is not None:
                ex, rec = here
                ex.synced(rec, Sync("acquire", id(self._running)))
            return
        if self._rec is not None and self._rec.ident == _thread.get_ident():
            raise RuntimeError("Cannot join current thread")
        if timeout is None:
            timeout = -1
        if self._running.acquire(True, timeout):
            self._running.release()

    def _set_done(self) -> None:
        self.release_at_exit()

    def release_at_exit(self) -> None:
        """Its thread has ended: joins return. (Its record, which holds this handle, is let
        go: the two would be a reference cycle, the whole run garbage for the collector.)"""
        self._done = True
        if self._rec is not None:
            self._ident, self._rec = self._rec.ident, None
        self._running.release_at_exit()


@untraced
def start_joinable_thread(
    function: Callable[..., object], handle: Any = None, daemon: bool = True
) -> Any:
    ex = execution.active
    if ex is None or execution.controlled() is None or not isinstance(handle, ThreadHandle):
        assert _real_start_joinable_thread is not None
        return _real_start_joinable_thread(function, handle=handle, daemon=daemon)
    ex.spawn(function, (), handle=handle)
    return handle


@untraced
def thread_handle() -> Any:
    if execution.controlled() is None:
        assert _real_thread_handle is not None
        return _real_thread_handle()
    return ThreadHandle()
