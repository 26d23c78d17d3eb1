"""Semaphores, as the access model sees them: who holds a permit, of how many.

``threading.Semaphore`` is pure Python on a Condition, so its ordering already comes from
the modelled locks inside it. What the locks cannot say is how many threads it lets in:
a semaphore of ``n - 1`` permits around a cycle of ``n`` lock-takers (the dining
philosophers' waiter) makes the cycle impossible, and lock-order analysis must know.
These wrappers log a ``permit`` when a controlled thread gets one, and an ``unpermit``
when it gives one back.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from races.core.sites import call_site
from races.core.untraced import untraced
from races.runtimes.threads import execution
from races.vocabulary.access import Sync

#: How many permits each semaphore made while exploring started with.
_capacity: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()

_real_init = threading.Semaphore.__init__
_real_acquire = threading.Semaphore.acquire
_real_release = threading.Semaphore.release
_real_bounded_release = threading.BoundedSemaphore.release


@untraced
def _log(semaphore: Any, kind: str, n: int = 1) -> None:
    here = execution.controlled()
    if here is not None:
        ex, rec = here
        site = call_site(ex.under_test)
        where = (site.filename, site.lineno) if site is not None else None
        capacity = _capacity.get(semaphore, 0)
        for _ in range(n):
            ex.synced(rec, Sync(kind, id(semaphore), where, capacity=capacity))


def init(self: Any, value: int = 1) -> None:
    _real_init(self, value)
    _capacity[self] = value


def acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
    got: bool = _real_acquire(self, blocking, timeout)
    if got:
        _log(self, "permit")
    return got


def release(self: Any, n: int = 1) -> None:
    _log(self, "unpermit", n)
    _real_release(self, n)


def bounded_release(self: Any, n: int = 1) -> None:
    if self._value + n > self._initial_value:
        _log(self, "refused")  # the over-release it catches, for the report
        return _real_bounded_release(self, n)  # raises ValueError: nothing is given back
    _log(self, "unpermit", n)
    _real_bounded_release(self, n)


#: What the session sets on each class (``__exit__`` calls ``self.release``).
METHODS: dict[type, dict[str, Callable[..., Any]]] = {
    threading.Semaphore: {
        "__init__": init,
        "acquire": acquire,
        "__enter__": acquire,
        "release": release,
    },
    threading.BoundedSemaphore: {"release": bounded_release},
}
