"""``functools.cached_property``, as the access model sees it: a read of the instance's
attribute, the getter, and a write of the attribute.

The real ``__get__`` looks in the instance's dict and, on a miss, runs the getter and
stores what it returned, in ``functools``, where races records nothing. Two threads that
miss together both run the getter, and the last store wins (on 3.11, a lock of the
property's own makes the second wait, then find the first one's value). This model does
the same in code races can see past: the look and the store are logged as a read and a
write of ``instance.name``, the getter runs traced, and the lock (3.11) is modelled.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from races.core.access import attribute_name
from races.runtimes.threads.models import library
from races.vocabulary.access import Kind, Location

_real_get = functools.cached_property.__get__
_MISSING = object()


def get(self: Any, instance: Any, owner: type | None = None) -> Any:
    cache = getattr(instance, "__dict__", None)
    if instance is None or self.attrname is None or not isinstance(cache, dict):
        return _real_get(self, instance, owner)  # the class's descriptor, or its errors
    name = self.attrname
    where = Location(id(instance), name, attribute_name(instance, name), type(instance).__name__)
    library.log(where, Kind.READ)
    value = cache.get(name, _MISSING)
    if value is not _MISSING:
        return value
    with getattr(self, "lock", None) or contextlib.nullcontext():
        library.log(where, Kind.READ)
        value = cache.get(name, _MISSING)
        if value is _MISSING:
            value = self.func(instance)
            library.log(where, Kind.WRITE)
            cache[name] = value
    return value
