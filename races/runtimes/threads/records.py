"""The scheduler's record of each controlled thread, and what a thread can wait for.

A ``ControlledThread`` is what ``execution`` keeps of one thread of the scenario: its
gate, its state, what it waits for, what it holds. The models of primitives talk to it
through its methods (``took``, ``gave_back``, ``release_at_exit``), never by writing its
fields; ``deadlock`` reads it to explain a run where nobody can run.
"""

from __future__ import annotations

import _thread
import enum
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

_allocate_lock = _thread.allocate_lock  # captured: while exploring, _thread's is a model

Site = tuple[str, int]


class State(enum.Enum):
    RUNNABLE = "runnable"
    BLOCKED = "blocked"
    FINISHED = "finished"


class Waitable(Protocol):
    """What a blocked thread waits for: a modelled lock, or I/O to become ready.

    The thread can run again as soon as ``locked()`` is false; ``holder`` is the thread
    that holds it, if anyone does (a wait-for edge); ``label`` names what is not a lock.
    """

    @property
    def holder(self) -> ControlledThread | None: ...

    def locked(self) -> bool: ...


class Held(Protocol):
    """A lock a thread holds, as a deadlock report shows it."""

    serial: int

    @property
    def site(self) -> Any: ...


class ExitLock(Protocol):
    """A lock a thread holds until it ends, as CPython's thread-state lock is held."""

    def release_at_exit(self) -> None: ...


class ControlledThread:
    """The scheduler's record of one thread of the scenario."""

    __slots__ = (
        "blocked_op",
        "blocked_site",
        "busy",
        "clean",
        "daemon",
        "deadline",
        "described",
        "exit_locks",
        "exited",
        "gate",
        "handle",
        "held",
        "ident",
        "index",
        "label",
        "last_step",
        "opaque_at",
        "os_join",
        "served",
        "state",
        "steps",
        "thread",
        "timed_out",
        "unwinding",
        "waiting_for",
    )

    def __init__(self, index: int, daemon: bool) -> None:
        self.index = index
        self.label = ""  # the name of a thread started without a threading.Thread
        self.gate = _allocate_lock()
        self.gate.acquire()
        self.exited = _allocate_lock()
        self.exited.acquire()
        self.ident: int | None = None
        self.state = State.RUNNABLE
        self.steps = 0  # steps this thread has taken: its own clock, for positions
        self.last_step = -1  # index in the run's trace of the step it is taking
        self.opaque_at = -1  # the last step found to run code races cannot see into
        self.described = 0  # inside library calls a model logs whole (see models.library)
        self.clean: FrameType | None = None  # a frame that, with its callers, hides no state
        self.waiting_for: Waitable | None = None
        self.deadline: float | None = None
        self.timed_out = False
        self.thread: Any = None  # the threading.Thread object it runs, once known
        self.daemon = daemon
        self.exit_locks: list[ExitLock] = []  # released when the thread ends (Thread.join)
        self.held: list[Held] = []  # modelled mutexes it holds, for deadlock reports
        self.handle: ExitLock | None = None  # 3.13+: the modelled _ThreadHandle
        self.os_join: Callable[[float], bool] | None = None
        self.blocked_op = ""
        self.blocked_site: Site | None = None
        self.busy = False  # inside the scheduler: user code it calls makes no switch points
        self.unwinding = False  # Abort raised: let `finally` and `with` blocks run freely
        self.served: set[int] = set()  # ids of the queues it took an item from

    @property
    def name(self) -> str:
        if self.thread is not None:
            return str(self.thread.name)
        return self.label or f"thread {self.index}"

    def enabled(self) -> bool:
        if self.state is State.RUNNABLE or self.timed_out:
            return True
        lock = self.waiting_for
        return self.state is State.BLOCKED and lock is not None and not lock.locked()

    # ------------------------------------------------------------ what models tell it

    def took(self, lock: Held) -> None:
        """It acquired a mutex (a Lock, an RLock's or a Condition's)."""
        self.held.append(lock)

    def gave_back(self, lock: Held) -> None:
        """It released a mutex it held."""
        if lock in self.held:
            self.held.remove(lock)

    def release_at_exit(self, lock: ExitLock) -> None:
        """``lock`` is released when the thread ends (``Thread.join`` waits for that)."""
        self.exit_locks.append(lock)

    def ended(self) -> None:
        """The thread has ended: release what waits for its end."""
        for lock in self.exit_locks:
            lock.release_at_exit()
        if self.handle is not None:
            self.handle.release_at_exit()
