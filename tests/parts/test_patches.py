"""What a session swaps when it starts (``races.runtimes.threads.patches``): the real
locks in the namespaces of the code under test and of the packages it excludes, and
nothing else; and all of it put back."""

from __future__ import annotations

import _thread
from collections.abc import Iterator
from typing import Any

import pytest

from races.core.codefilter import CodeFilter
from races.runtimes.threads import patches
from races.runtimes.threads.models.lock import Lock
from tests import imported_locks, untraced_library

REAL = (_thread.LockType, _thread.RLock)


def _real(lock: Any) -> bool:
    return type(lock) in REAL


def _cell(function: Any, name: str) -> Any:
    cells = dict(zip(function.__code__.co_freevars, function.__closure__, strict=True))
    return cells[name].cell_contents


@pytest.fixture
def swapped() -> Iterator[Any]:
    """Start a session's swap with ``tests.untraced_library`` excluded; undo it after."""
    undo = patches.Patches()
    under_test = CodeFilter(exclude=["tests.untraced_library"])
    try:
        yield patches.swap_primitives(undo, under_test, lambda: None)
    finally:
        undo.restore()


def test_a_small_table_of_the_code_under_test_is_swapped_and_a_long_one_is_not(
    swapped: Any,
) -> None:
    assert not any(_real(lock) for lock in imported_locks.STRIPES)
    assert all(_real(lock) for lock in imported_locks.SHARDS)  # swapped where it is read


def test_an_excluded_packages_locks_are_swapped_where_its_code_keeps_them(swapped: Any) -> None:
    assert swapped.excluded
    assert isinstance(untraced_library._lock, Lock)  # the module's
    assert not _real(untraced_library.Registry._lock)  # a class's
    assert isinstance(untraced_library.DEFAULT_CLIENT._lock, Lock)  # an object's made at import
    assert isinstance(_cell(untraced_library.call_synchronized, "lock"), Lock)  # a closure's
    # A table too long to read at every start stays real: the stops that name it cover it.
    assert all(_real(lock) for lock in untraced_library.KEY_LOCKS.values())


def test_everything_swapped_is_put_back() -> None:
    before = (
        untraced_library._lock,
        untraced_library.Registry._lock,
        untraced_library.DEFAULT_CLIENT._lock,
        _cell(untraced_library.call_synchronized, "lock"),
        *imported_locks.STRIPES,
    )
    undo = patches.Patches()
    patches.swap_primitives(undo, CodeFilter(exclude=["tests.untraced_library"]), lambda: None)
    undo.restore()
    after = (
        untraced_library._lock,
        untraced_library.Registry._lock,
        untraced_library.DEFAULT_CLIENT._lock,
        _cell(untraced_library.call_synchronized, "lock"),
        *imported_locks.STRIPES,
    )
    assert all(a is b for a, b in zip(before, after, strict=True))
    assert all(_real(lock) for lock in after)


def test_a_session_that_excludes_nothing_leaves_the_library_alone() -> None:
    undo = patches.Patches()
    try:
        swap = patches.swap_primitives(undo, CodeFilter(), lambda: None)
        assert not swap.excluded
        # Traced, the library's module is under test: its namespace is swapped, but not
        # the objects it made at import (those are swapped where traced code reads them).
        assert isinstance(untraced_library._lock, Lock)
        assert _real(untraced_library.DEFAULT_CLIENT._lock)
    finally:
        undo.restore()
