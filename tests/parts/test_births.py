"""Birth records (``races.runtimes.threads.births``): the same real locks, each with the
line that made it, and every constructor back as it was when the records end."""

from __future__ import annotations

import _thread
import gc
import queue
import sys
import threading
import weakref
from collections.abc import Iterator

import pytest

from races.runtimes.threads import births

CONSTRUCTORS = [
    (_thread, "allocate_lock"),
    (_thread, "allocate"),
    (threading, "Lock"),
    (threading, "_CRLock"),
]


@pytest.fixture
def recording() -> Iterator[None]:
    births.install()
    try:
        yield
    finally:
        births.uninstall()


def _line() -> int:
    return sys._getframe(1).f_lineno


MADE_AT_IMPORT, MADE_AT_IMPORT_LINE = threading.Lock(), _line()


@pytest.mark.usefixtures("recording")
def test_a_lock_made_with_records_on_is_a_real_lock_with_its_line() -> None:
    lock, line = threading.Lock(), _line()
    rlock, rline = threading.RLock(), _line()
    low, low_line = _thread.allocate_lock(), _line()
    assert type(lock) is type(low) is births.REAL_LOCK_TYPE
    assert type(rlock) is births.REAL_RLOCK
    assert births.where(lock) == f"{__file__}:{line} ({_qualname()})"
    assert births.where(rlock) == f"{__file__}:{rline} ({_qualname()})"
    assert births.where(low) == f"{__file__}:{low_line} ({_qualname()})"
    # Still the lock it was: not re-entrant, released by another thread.
    assert lock.acquire() and not lock.acquire(blocking=False)
    releaser = threading.Thread(target=lock.release)
    releaser.start()
    releaser.join()
    assert not lock.locked()


def _qualname() -> str:
    return "test_a_lock_made_with_records_on_is_a_real_lock_with_its_line"


@pytest.mark.usefixtures("recording")
def test_a_lock_made_for_a_condition_or_queue_is_born_where_they_were_made() -> None:
    condition, line = threading.Condition(), _line()
    jobs, jobs_line = queue.Queue[int](), _line()
    assert births.where(condition._lock) is not None  # type: ignore[attr-defined]
    assert births.where(condition._lock).endswith(f":{line} ({sys._getframe().f_code.co_qualname})")  # type: ignore[attr-defined,union-attr]
    assert f"{__file__}:{jobs_line} " in (births.where(jobs.mutex) or "")


@pytest.mark.usefixtures("recording")
def test_isinstance_of_threading_lock_holds_as_without_records() -> None:
    assert isinstance(threading.Lock(), type(births.REAL_ALLOCATE_LOCK()))
    if isinstance(births.REAL_LOCK_TYPE, type) and sys.version_info >= (3, 13):
        assert isinstance(threading.Lock, type)
        assert isinstance(births.REAL_ALLOCATE_LOCK(), threading.Lock)
        assert not isinstance(threading.RLock(), threading.Lock)


def test_a_lock_made_without_the_records_has_none() -> None:
    assert births.where(births.REAL_ALLOCATE_LOCK()) is None
    assert births.where(object()) is None  # not even a lock: no error


@pytest.fixture
def without_records() -> Iterator[None]:
    """The plugin turned the records on when it loaded: off for the test, then on again."""
    depth = 0
    while births.installed():
        births.uninstall()
        depth += 1
    try:
        yield
    finally:
        while births.installed():
            births.uninstall()
        for _ in range(depth):
            births.install()


def test_the_plugin_turned_the_records_on_before_the_tests_were_imported() -> None:
    assert births.installed()
    assert births.where(MADE_AT_IMPORT) == f"{__file__}:{MADE_AT_IMPORT_LINE} (<module>)"


@pytest.mark.usefixtures("without_records")
def test_each_install_is_undone_by_its_uninstall_and_the_last_restores_all() -> None:
    real = [getattr(owner, name, None) for owner, name in CONSTRUCTORS]
    assert threading.Lock in (births.REAL_ALLOCATE_LOCK, births.REAL_LOCK_TYPE)
    births.install()
    births.install()  # a pytest session run inside another
    births.uninstall()
    assert births.installed()
    assert threading.Lock in (births.allocate_lock, births.Lock)
    births.uninstall()
    births.uninstall()  # one too many: nothing to undo
    assert not births.installed()
    assert [getattr(owner, name, None) for owner, name in CONSTRUCTORS] == real


@pytest.mark.usefixtures("recording")
def test_the_records_do_not_keep_a_lock_alive() -> None:
    lock = threading.Lock()
    assert births.where(lock) is not None
    gone = weakref.ref(lock)
    del lock
    gc.collect()
    assert gone() is None


@pytest.mark.usefixtures("without_records")
def test_a_constructor_replaced_since_the_install_is_left_to_whoever_replaced_it() -> None:
    births.install()
    assert threading._CRLock is births.rlock  # type: ignore[attr-defined]
    theirs = object()
    threading._CRLock = theirs  # type: ignore[attr-defined]  # as gevent's patching does
    try:
        births.uninstall()
        assert threading._CRLock is theirs  # type: ignore[attr-defined]
        assert threading.Lock in (births.REAL_ALLOCATE_LOCK, births.REAL_LOCK_TYPE)
    finally:
        threading._CRLock = births.REAL_RLOCK  # type: ignore[attr-defined]
