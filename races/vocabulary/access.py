"""The words of the access model: where shared data lives, how a step touches it, and the
synchronisation that orders steps of different threads.

A run records, in the order things happened, ``(thread, step, event, where)`` entries whose
event is an ``Access`` (a read or write of a ``Location``), ``OPAQUE_STEP`` (a step that
may touch anything), or a ``Sync`` (acquire and release of a lock, a thread's start).
``races.core.access`` computes accesses; ``races.core.detect`` reads the log.

Each word here is a value: made once, never changed, compared and hashed by its fields.
None is a frozen dataclass only because a run makes thousands of them (an access for
each instruction that touches shared data) and a frozen dataclass's ``__init__`` costs
three times a plain one's. The same holds for ``Site``, ``Touch`` and ``Decision``.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any


class Kind(enum.Enum):
    READ = "read"
    WRITE = "write"
    UPDATE = "update"  # one atomic operation that reads and writes (list.append)
    ITERATE = "iterate"  # a read by a loop over a container, one per item
    #: An update made only if nothing changed since the read it names (memcached's
    #: ``cas`` after ``gets``): it never loses another's write, so it never forms a lost
    #: update with that read.
    CAS = "compare-and-set"

    def __init__(self, value: str) -> None:
        # Attributes of each member, not properties: analysis asks for every access.
        self.writes = value not in ("read", "iterate")  # a loop only reads
        self.reads = value != "write"
        #: A read that a later step acts on, or that a loop repeats.
        self.checks = value in ("read", "iterate")


class _Whole:
    """The key of a location that stands for a whole container."""

    def __repr__(self) -> str:
        return "WHOLE"

    def __reduce__(self) -> str:
        return "WHOLE"  # one object, also across processes


WHOLE: Any = _Whole()


@dataclass(slots=True, eq=False)  # a value (see above)
class Location:
    """A place shared data lives: an object (by identity) and a key in it."""

    owner: int
    key: Hashable
    name: str = ""  # for people; two locations are the same whatever their names
    #: The owner's kind (its type's name, "cell", "globals"): what names an object across
    #: runs when its id cannot (partial-order reduction's sleep sets).
    of: str = ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Location) and self.owner == other.owner and self.key == other.key

    def __hash__(self) -> int:
        return hash((self.owner, self.key))

    def overlaps(self, other: Location) -> bool:
        """Whether an access to one can touch the other (a whole container overlaps its items)."""
        return self.owner == other.owner and (
            self.key == other.key or self.key is WHOLE or other.key is WHOLE
        )


@dataclass(slots=True, unsafe_hash=True)  # a value (see above)
class Access:
    location: Location
    kind: Kind

    def conflicts(self, other: Access) -> bool:
        """Two accesses conflict when they may touch the same data and one of them writes."""
        return (self.kind.writes or other.kind.writes) and self.location.overlaps(other.location)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.location.name}"


@dataclass(frozen=True, slots=True)
class StepAccesses:
    """What one instruction is about to touch; ``opaque`` when it may touch more."""

    accesses: tuple[Access, ...] = ()
    opaque: bool = False


NOTHING = StepAccesses()
OPAQUE = StepAccesses(opaque=True)


@dataclass(slots=True, unsafe_hash=True)  # a value (see above)
class Sync:
    """Synchronisation a step performed: what orders it with other threads' steps.

    ``acquire`` and ``release`` of a lock (``obj`` is its id; every primitive of threading
    and queue is built on locks), ``start`` of a thread (``obj`` is its index), ``permit``
    and ``unpermit``: a semaphore's permit taken and given back (its ordering comes from
    the locks inside it; a permit is what may gate a lock cycle), with the site in the
    code under test that did it, when there is one; ``made``: a lock's birth, and
    ``request``: a task asking for an asyncio lock or semaphore (they serve waiters in
    the order they asked), which only partial-order reduction reads.
    """

    kind: str
    obj: int
    site: tuple[str, int] | None = None
    #: A lock the program takes itself (``with lock:`` in its code), not one inside a
    #: primitive of the library: what lock-order analysis looks at.
    mutex: bool = False
    #: For ``permit`` (a semaphore acquired) and ``unpermit``: how many threads may hold
    #: it at once, when races saw it made; 0 when unknown.
    capacity: int = 0
    #: For a mutex's ``acquire``: where the lock was made, and which of the locks made
    #: there it is, ``(file, line, n)``; what names one lock across runs and tests.
    made: tuple[str, int, int] | None = None


class _Opaque:
    def __repr__(self) -> str:
        return "OPAQUE_STEP"

    def __reduce__(self) -> str:
        return "OPAQUE_STEP"


#: The event of a step that may touch shared state races cannot see.
OPAQUE_STEP: Any = _Opaque()

#: One entry of a run's log: (thread, step index in the trace, event, where), ``where``
#: being the instruction that made an access, ``(code, offset)``, or None.
Event = tuple[int, int, Any, Any]
