"""Naming the real lock a blocked thread waits for, or a frame holds around a call
(``races.runtimes.threads.real_locks``), from the instructions of its code, in each way
code takes a lock."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from races.runtimes.threads import real_locks

GLOBAL_LOCK = threading.Lock()


class Holder:
    class_lock = threading.RLock()

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inner = self
        self.reads = 0

    @property
    def guarded(self) -> Any:
        self.reads += 1  # the program's code: naming the lock must not run it
        return self.lock


def with_global(holder: Holder) -> None:
    with GLOBAL_LOCK:
        pass


def with_attribute(holder: Holder) -> None:
    with holder.lock:
        pass


def acquire_with_arguments(holder: Holder) -> None:
    holder.inner.lock.acquire(True, 30)
    holder.inner.lock.release()


def acquire_with_keywords(holder: Holder) -> None:
    holder.class_lock.acquire(timeout=30)
    holder.class_lock.release()


def with_local(holder: Holder) -> None:
    lock = holder.lock
    with lock:
        pass


def with_property(holder: Holder) -> None:
    with holder.guarded:
        pass


def _blocked(body: Callable[[Holder], None], holder: Holder, lock: Any) -> Any:
    """Run ``body`` on a thread while ``lock`` is held; what ``waited_for`` says of its
    frame once it stands on the taking instruction, or None if it never says anything."""
    found: Any = None
    lock.acquire()
    thread = threading.Thread(target=body, args=(holder,))
    thread.start()
    try:
        deadline = time.monotonic() + 5  # polled: the thread blocks in a few microseconds
        while found is None and time.monotonic() < deadline:
            frame = sys._current_frames().get(thread.ident or 0)
            if frame is not None and frame.f_code is body.__code__:
                found = real_locks.waited_for(frame)
            time.sleep(0.001)
    finally:
        lock.release()
        thread.join()
    return found


@pytest.mark.parametrize(
    ("body", "expression", "kind"),
    [
        (with_global, "GLOBAL_LOCK", "Lock"),
        (with_attribute, "holder.lock", "Lock"),
        (acquire_with_arguments, "holder.inner.lock", "Lock"),
        (acquire_with_keywords, "holder.class_lock", "RLock"),
        (with_local, "lock", "Lock"),
    ],
    ids=lambda x: getattr(x, "__name__", None),
)
def test_the_lock_is_named_as_the_code_reaches_it(body: Any, expression: str, kind: str) -> None:
    holder = Holder()
    lock = GLOBAL_LOCK if body is with_global else holder.lock
    if kind == "RLock":
        lock = Holder.class_lock
    found = _blocked(body, holder, lock)
    assert found is not None
    assert (found.lock, found.expression, found.kind) == (lock, expression, kind)
    assert found.where.startswith(f"{__file__}:") and found.function == body.__qualname__


def test_an_rlock_names_its_owner() -> None:
    holder = Holder()
    found = _blocked(acquire_with_keywords, holder, Holder.class_lock)
    assert found is not None and found.owner == threading.get_ident()


def test_a_lock_behind_a_property_is_not_named_and_the_property_never_runs() -> None:
    holder = Holder()
    holder.lock.acquire()
    thread = threading.Thread(target=with_property, args=(holder,))
    try:
        thread.start()
        deadline = time.monotonic() + 5
        frame = None
        while holder.reads == 0 and time.monotonic() < deadline:
            time.sleep(0.001)  # polled until the thread has read the property, once
        frame = sys._current_frames().get(thread.ident or 0)
        while frame is not None and frame.f_code is not with_property.__code__:
            frame = frame.f_back
        assert frame is not None
        assert real_locks.waited_for(frame) is None
        assert holder.reads == 1
    finally:
        holder.lock.release()
        thread.join()


def test_a_frame_elsewhere_or_a_free_lock_is_not_a_wait() -> None:
    here = sys._getframe()
    assert real_locks.waited_for(here) is None  # standing on a call of something else


# ----------------------------------------------------------------- a lock held around a call


def _caller() -> Any:
    """What ``held_around`` says of the frame that called this function."""
    return real_locks.held_around(sys._getframe(1))


def held_in_with(holder: Holder) -> Any:
    with holder.lock:
        return _caller()


def held_in_with_around_a_try(holder: Holder) -> Any:
    with holder.inner.lock:
        try:
            return _caller()
        except ValueError:
            return None


def held_after_acquire(holder: Holder) -> Any:
    holder.class_lock.acquire()
    try:
        return _caller()
    finally:
        holder.class_lock.release()


def after_the_with(holder: Holder) -> Any:
    with holder.lock:
        pass
    return _caller()


def after_acquire_and_release(holder: Holder) -> Any:
    holder.class_lock.acquire()
    holder.class_lock.release()
    return _caller()


@pytest.mark.parametrize(
    ("body", "expression", "kind"),
    [
        (held_in_with, "holder.lock", "Lock"),
        (held_in_with_around_a_try, "holder.inner.lock", "Lock"),
        (held_after_acquire, "holder.class_lock", "RLock"),
    ],
)
def test_a_lock_held_around_a_call_is_named(body: Any, expression: str, kind: str) -> None:
    held = body(Holder())
    assert held is not None and (held.expression, held.kind) == (expression, kind)
    assert held.where.startswith(__file__) and held.function == body.__name__


@pytest.mark.parametrize("body", [after_the_with, after_acquire_and_release])
def test_a_lock_given_back_before_the_call_is_not_held_around_it(body: Any) -> None:
    assert body(Holder()) is None


def test_an_rlock_another_thread_holds_is_not_held_around_this_call() -> None:
    holder = Holder()
    taken, done = threading.Event(), threading.Event()

    def other() -> None:
        with holder.class_lock:
            taken.set()
            done.wait()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        taken.wait()
        # Held, and `acquire` is in the frame's code, but another thread owns it.
        assert _held_by_this_frame_if_it_ran_acquire(holder) is None
    finally:
        done.set()
        thread.join()


def _held_by_this_frame_if_it_ran_acquire(holder: Holder) -> Any:
    if holder.reads < 0:  # never: the acquire below is in the code, not run
        holder.class_lock.acquire()
    return _caller()
