"""``races.core.access.Owners``: one number per object for a run, whatever CPython reuses."""

from __future__ import annotations

import sys

from races.core.access import Owners


class Plain:
    """An object a weak reference can watch (without a ``__dict__``: 3.13 does not soon
    reuse the memory of an object with one)."""

    __slots__ = ("__weakref__",)


def test_an_object_made_where_a_dead_one_was_gets_a_number_of_its_own() -> None:
    owners = Owners()
    first = Plain()
    number, address = owners.of(first), id(first)
    assert number == address and owners.of(first) == number
    del first
    for _ in range(1000):  # CPython soon makes a new object at the freed address
        second = Plain()
        if id(second) == address:
            break
    else:  # pragma: no cover - the allocator chose another address every time
        raise AssertionError("no object was made at the freed address")
    assert owners.of(second) not in (number, address)
    assert owners.of(second) == owners.of(second)


def test_an_object_no_weak_reference_can_watch_is_kept_until_the_run_ends() -> None:
    owners = Owners()
    items: list[int] = []
    held = sys.getrefcount(items)
    number = owners.of(items)
    assert number == id(items) and sys.getrefcount(items) == held + 1  # its id stays its own
    owners.new_run()
    assert sys.getrefcount(items) == held  # given back to the program
