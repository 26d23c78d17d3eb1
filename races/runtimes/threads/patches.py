"""Installing the modelled leaves for a session, and taking every one of them out again.

Two kinds of replacement:

* the leaves themselves, in the modules that look them up at call time (``threading``,
  ``queue``, ``time``, ``concurrent.futures.thread``);
* references the user's modules took at import time: ``from threading import Lock``,
  ``from time import sleep``, and real locks created at import (``lock = Lock()`` at module
  or class level, or captured by the scenario's closure), and those an excluded package's
  own code takes. A real lock held across a switch point would freeze the run, so while
  exploring these are swapped for modelled ones.

Everything is recorded in a ``Patches`` object and undone in reverse order, whatever
happened in between.
"""

from __future__ import annotations

import _thread
import concurrent.futures as futures
import concurrent.futures.thread as futures_thread
import functools
import logging
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable
from types import FunctionType, ModuleType
from typing import Any

from races.core import diagnosis
from races.core.access import ACCESSES
from races.core.codefilter import CodeFilter
from races.runtimes.threads import births, execution
from races.runtimes.threads.models import cached, clock, io, memcache, semaphore, timer
from races.runtimes.threads.models import thread as thread_model
from races.runtimes.threads.models.lock import Lock, LockType, allocate_lock, rlock
from races.vocabulary.errors import UncontrolledBlockingError
from races.vocabulary.kinds import FailureKind

_MISSING = object()
_REAL_LOCK_TYPE = births.REAL_LOCK_TYPE
_REAL_ALLOCATE_LOCK = births.REAL_ALLOCATE_LOCK
_REAL_START_NEW_THREAD = _thread.start_new_thread
_REAL_RLOCK_TYPE = births.REAL_RLOCK


class Patches:
    """Attribute replacements, undone in reverse order by ``restore``."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def set(self, obj: Any, name: str, value: Any) -> None:
        old = obj.__dict__.get(name, _MISSING) if hasattr(obj, "__dict__") else getattr(obj, name)
        setattr(obj, name, value)

        def undo() -> None:
            if old is _MISSING:
                delattr(obj, name)
            else:
                setattr(obj, name, old)

        self._undo.append(undo)

    def set_item(self, container: Any, key: Any, value: Any) -> None:
        old = container[key]
        container[key] = value

        def undo() -> None:
            container[key] = old

        self._undo.append(undo)

    def set_cell(self, cell: Any, value: Any) -> None:
        old = cell.cell_contents
        cell.cell_contents = value
        self._undo.append(lambda: setattr(cell, "cell_contents", old))

    def call_on_restore(self, action: Callable[[], None]) -> None:
        self._undo.append(action)

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


def install(patches: Patches, under_test: CodeFilter, scenario: Callable[[], object]) -> _Swapper:
    """Install every replacement a session needs; returns the swapper, whose ``reset`` is
    what to call before each run (it frees the stand-ins of real locks and returns their
    modelled locks)."""
    _install_leaves(patches)
    return swap_primitives(patches, under_test, scenario)


def swap_primitives(
    patches: Patches,
    under_test: CodeFilter,
    scenario: Callable[[], object],
    *,
    leaves: dict[Any, Any] | None = None,
    new_lock: Callable[[Any], Any] | None = None,
    held: Callable[[Any, str], None] | None = None,
) -> _Swapper:
    """Swap the real primitives the code under test reaches (made before the session) for
    stand-ins: in the namespaces of the modules under test and the scenario's closure now,
    and anywhere else where the code first reads them. ``leaves``, ``new_lock`` and
    ``held`` are the stand-ins and what to do with a lock already held (see ``_Swapper``);
    by default, the scheduler's modelled ones."""
    swap = _Swapper(patches, leaves, new_lock, held)
    traced_by_default = CodeFilter.shared()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if not isinstance(module, ModuleType) or not file:
            continue
        if under_test.filename_under_test(file):
            swap.namespace(module, module.__name__)
        elif traced_by_default.filename_under_test(file):
            # A package the session excludes: no read of traced code reaches the locks
            # its own code takes, so they are swapped now, with those of the objects it
            # made at import (a default client's lock).
            swap.namespace(module, module.__name__, objects=True)
            swap.excluded = True
    swap.function(scenario)
    swap.logging()
    # Real primitives the swap above cannot reach (a lock inside a library's object, a list
    # of locks made at import) are swapped where the code finds them, on first use.
    ACCESSES.foreign = frozenset(t for t in _FOREIGN if t is not None)
    ACCESSES.adopt = swap.adopt
    patches.call_on_restore(_stop_adopting)
    # An executor's worker logs every BaseException that ends it ("Exception in worker"),
    # races' unwinding of a finished run included: that one is not the program's to see.
    executor_log = logging.getLogger("concurrent.futures")
    executor_log.addFilter(_not_an_unwinding)
    patches.call_on_restore(lambda: executor_log.removeFilter(_not_an_unwinding))
    return swap


def _not_an_unwinding(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, execution.Abort)


#: The longest list or dict of a module's namespace whose items a session swaps at its
#: start; the items of a longer one are swapped where the code reads them.
_TABLE_SIZE = 64

#: The types of real primitives a session swaps where the code under test reads them.
_FOREIGN = (
    _REAL_LOCK_TYPE,
    _REAL_RLOCK_TYPE,
    threading.Condition,
    threading.Event,
    threading.Semaphore,
    threading.BoundedSemaphore,
    threading.Barrier,
    queue.Queue,
    queue.LifoQueue,
    queue.PriorityQueue,
)


def _stop_adopting() -> None:
    ACCESSES.foreign = frozenset()
    ACCESSES.adopt = lambda value, name, where: None


def _install_leaves(p: Patches) -> None:
    # 3.13's threading.Lock is the lock type itself: keep isinstance() working there.
    p.set(threading, "Lock", LockType if isinstance(threading.Lock, type) else allocate_lock)
    p.set(threading, "_allocate_lock", allocate_lock)
    p.set(threading, "_CRLock", None)  # RLock() then builds CPython's _PyRLock on our Lock
    if hasattr(threading, "_start_joinable_thread"):  # 3.13+
        p.set(threading, "_start_joinable_thread", thread_model.start_joinable_thread)
        p.set(threading, "_ThreadHandle", thread_model.thread_handle)
    else:
        p.set(threading, "_start_new_thread", thread_model.start_new_thread)
        p.set(threading, "_set_sentinel", thread_model.set_sentinel)
        p.call_on_restore(_forget_shutdown_locks)
    # The low-level module, for code that starts threads and makes locks with it directly
    # (CPython's own lock tests do): the same models, reached by their `_thread` names.
    p.set(_thread, "start_new_thread", thread_model.start_raw_thread)
    if hasattr(_thread, "start_new"):
        p.set(_thread, "start_new", thread_model.start_raw_thread)
    p.set(_thread, "allocate_lock", allocate_lock)
    if hasattr(_thread, "allocate"):
        p.set(_thread, "allocate", allocate_lock)
    p.set(_thread, "LockType", LockType)
    if hasattr(_thread, "RLock"):
        p.set(_thread, "RLock", rlock)
    if hasattr(functools, "RLock"):  # 3.11: each cached_property makes one, imported early
        p.set(functools, "RLock", rlock)
    p.set(functools.cached_property, "__get__", cached.get)
    p.set(_thread, "_count", thread_model.count)
    for selector in io.SELECTORS:
        p.set(selector, "select", io.controlled_select(selector.select))
    install_models(p)
    p.set(threading, "_time", clock.monotonic)
    p.set(queue, "time", clock.monotonic)
    p.set(queue, "SimpleQueue", queue._PySimpleQueue)  # type: ignore[attr-defined]
    p.set(time, "sleep", clock.sleep)
    p.set(time, "monotonic", clock.monotonic)
    p.set(time, "time", clock.time)
    p.set(time, "perf_counter", clock.perf_counter)
    clock.set_origin()

    # Thread names come from process-wide counters; number them per run so a replay shows
    # the same names.
    p.set(threading, "_counter", _per_run(threading._counter, "thread", 1))  # type: ignore[attr-defined]
    executor = futures_thread.ThreadPoolExecutor
    p.set(executor, "_counter", staticmethod(_per_run(executor._counter, "executor", 0)))  # type: ignore[attr-defined]

    saved_hook = threading.excepthook
    p.set(threading, "excepthook", _excepthook(saved_hook))

    # ThreadPoolExecutor's module-level state: a real lock held while a worker starts
    # (which blocks), and the registry its interpreter-exit hook drains.
    p.set(futures_thread, "_global_shutdown_lock", Lock())
    p.set(futures_thread, "_threads_queues", weakref.WeakKeyDictionary())
    p.set(futures_thread, "_shutdown", False)


def install_models(p: Patches) -> None:
    """The models of what a run's locks cannot say: a semaphore's permits, a timer's
    cancel flag, a cache server's entries, a future's error nobody asked for. They log
    through the active run, controlled or observed."""
    for klass, methods in semaphore.METHODS.items():
        for name, method in methods.items():
            p.set(klass, name, method)
    for name, method in timer.METHODS.items():
        p.set(threading.Timer, name, method)
    client = memcache.client_class()
    if client is not None:
        for name, method in memcache.methods(client).items():
            p.set(client, name, method)
    for name, method in _future_methods().items():
        p.set(futures.Future, name, method)
    for kind in (queue.Queue, queue.LifoQueue, queue.PriorityQueue):
        p.set(kind, "_get", _noting_who_serves(kind._get))


def _noting_who_serves(take: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A queue's ``_get`` (what ``get`` calls under its lock, once there is an item), noting
    which thread took from which queue: a run left stuck with work in a queue whose
    takers have all ended has leaked them (see ``deadlock``)."""

    def _get(self: Any) -> Any:
        here = execution.controlled()
        if here is not None:
            here[1].served.add(id(self))
        return take(self)

    return _get


def _queue_conditions(q: Any) -> list[Any]:
    return [q.not_empty, q.not_full, q.all_tasks_done]


_REAL_SET_EXCEPTION = futures.Future.set_exception
_REAL_RESULT = futures.Future.result
_REAL_EXCEPTION = futures.Future.exception


def _future_methods() -> dict[str, Callable[..., Any]]:
    """A future's exception is the caller's to collect: note who asks for it, and which
    futures failed, so that an error nobody collected fails the run (as asyncio's
    "exception was never retrieved")."""

    def set_exception(self: Any, exception: BaseException | None) -> None:
        here = execution.controlled()
        if here is not None and not isinstance(exception, execution.Abort):
            here[0].failed_futures.append((self, here[1].name))
        _REAL_SET_EXCEPTION(self, exception)

    def result(self: Any, timeout: float | None = None) -> Any:
        self._races_retrieved = True
        return _REAL_RESULT(self, timeout)

    def exception(self: Any, timeout: float | None = None) -> BaseException | None:
        self._races_retrieved = True
        return _REAL_EXCEPTION(self, timeout)

    return {"set_exception": set_exception, "result": result, "exception": exception}


def _held_real_lock(real: Any, name: str) -> None:
    """Stop the run: a controlled thread is about to use a real lock that is already held."""
    here = execution.controlled()
    if here is None:
        return
    ex, rec = here
    frame = sys._getframe(2)
    while frame is not None and not ex.under_test(frame.f_code):
        frame = frame.f_back  # type: ignore[assignment]
    where = f" ({frame.f_code.co_filename}:{frame.f_lineno})" if frame is not None else ""
    ex.give_up(
        UncontrolledBlockingError(
            f"{rec.name} is about to use `{name}`{where}, a real {type(real).__name__} made "
            "before races started and already held, by a thread races does not control or by "
            "code it does not trace; waiting for it would block where the scheduler cannot "
            f"see. Make `{name}` free before the scenario starts (a lock made before the "
            "exploration is swapped for a modelled one at its first use, if it is free then), "
            "or create it inside the scenario"
        )
    )


def _reset_lock(lock: Any) -> None:
    if isinstance(lock, Lock):
        lock._reset()
    else:  # CPython's _PyRLock on one of our Locks
        lock._owner = None
        lock._count = 0
        lock._block._reset()


def _per_run(real: Callable[[], int], key: str, start: int) -> Callable[[], int]:
    def counter() -> int:
        here = execution.controlled()
        if here is None:
            return real()
        ex = here[0]
        value = ex.counters.get(key, start)
        ex.counters[key] = value + 1
        return value

    return counter


def _excepthook(saved: Callable[[Any], object]) -> Callable[[Any], object]:
    def excepthook(args: Any) -> object:
        here = execution.controlled()
        if here is None:
            return saved(args)
        ex, rec = here
        exc = args.exc_value
        name = args.thread.name if args.thread is not None else rec.name
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        lost = diagnosis.lost_exception(
            exc,
            name,
            "threading.excepthook prints it, the thread ends, and the program goes on",
            pattern="uncaught exception",
        )
        ex.fail(
            FailureKind.THREAD_EXCEPTION,
            exc,
            message=f"{detail} (uncaught in {name})",
            report=lost.report,
            pattern=lost.pattern,
        )
        return None

    return excepthook


def _forget_shutdown_locks() -> None:
    """3.11/3.12 record non-daemon threads' sentinels for interpreter exit; drop ours."""
    locks = threading._shutdown_locks  # type: ignore[attr-defined]
    with threading._shutdown_locks_lock:  # type: ignore[attr-defined]
        locks.difference_update([lock for lock in locks if isinstance(lock, Lock)])


def interpreter_exit() -> None:
    """What the interpreter does for executors at exit, run when the scenario returns.

    CPython stops idle ``ThreadPoolExecutor`` workers at exit (``_python_exit``) before it
    joins non-daemon threads; without this, a scenario that never shuts its executor down
    would look stuck.
    """
    items = [(t, q) for t, q in list(futures_thread._threads_queues.items()) if t.is_alive()]
    if not items:
        return
    futures_thread._shutdown = True
    for _, q in items:
        q.put(None)
    for t, _ in items:
        t.join()


class _Swapper:
    """Replaces references to real leaves and real locks in the user's namespaces.

    ``leaves`` maps each real leaf (``_thread.allocate_lock``, ``time.sleep``) to its
    stand-in; ``new_lock(real)`` makes the stand-in of a real lock (for an RLock's, of a
    fresh one); ``held(real, name)`` is told of a real lock that is held where it would be
    swapped. By default these are the scheduler's: modelled leaves and locks, and a held
    lock stops the run. Real-thread detection passes its recording ones.
    """

    def __init__(
        self,
        patches: Patches,
        leaves: dict[Any, Any] | None = None,
        new_lock: Callable[[Any], Any] | None = None,
        held: Callable[[Any, str], None] | None = None,
    ) -> None:
        self.patches = patches
        if leaves is None:
            leaves = {
                _REAL_ALLOCATE_LOCK: allocate_lock,
                _REAL_LOCK_TYPE: LockType,
                _REAL_START_NEW_THREAD: thread_model.start_raw_thread,
                clock.real_sleep: clock.sleep,
                clock.real_monotonic: clock.monotonic,
                clock.real_time: clock.time,
                clock.real_perf_counter: clock.perf_counter,
            }
        self.leaves: dict[int, Any] = {id(real): stand_in for real, stand_in in leaves.items()}
        # What the code took while birth records were on: their recording constructors.
        for recording, real in (
            (births.allocate_lock, _REAL_ALLOCATE_LOCK),
            (births.Lock, _REAL_LOCK_TYPE),
        ):
            if id(real) in self.leaves:
                self.leaves[id(recording)] = self.leaves[id(real)]
        simple = getattr(sys.modules.get("_queue"), "SimpleQueue", None)
        if simple is not None:
            self.leaves[id(simple)] = queue._PySimpleQueue  # type: ignore[attr-defined]
        self.new_lock: Callable[[Any], Any] = new_lock or (lambda real: Lock())
        self.held: Callable[[Any, str], None] = held or _held_real_lock
        self.swapped: dict[int, Any] = {}  # id(real lock) -> its modelled stand-in
        #: Whether a module the session excludes (but would trace by default) is loaded.
        self.excluded = False
        self.visited: set[int] = set()
        # Threads that run free (real-thread detection) may reach one primitive at once.
        self._adopting = _REAL_ALLOCATE_LOCK()

    def replacement(self, value: Any, name: str = "") -> Any:
        """The stand-in for ``value``, or None to keep it; ``name`` is how the code
        reaches it (``module.lock``, ``module.Class.lock``), which names a lock across
        runs and processes (an xdist worker's locks are another process's objects)."""
        leaf = self.leaves.get(id(value))
        if leaf is not None:
            return leaf
        kind = type(value)
        if kind is _REAL_LOCK_TYPE or kind is _REAL_RLOCK_TYPE:
            return self._lock(value, name)
        if kind is threading.Condition and type(value._lock) in (_REAL_LOCK_TYPE, _REAL_RLOCK_TYPE):
            return self._condition(value, name)
        if isinstance(value, functools.cached_property) and hasattr(value, "lock"):
            # 3.11: a class's cached property holds the real lock its first reads take.
            inner = self._lock(value.lock, f"{name}.lock")
            if inner is not None:
                self.patches.set(value, "lock", inner)
        elif isinstance(value, (threading.Event, threading.Semaphore, threading.Barrier)):
            # A primitive made at import keeps a real condition inside: swap that, so that
            # its waits are scheduled and its synchronisation is seen.
            inner = self._condition(value._cond, f"{name}._cond")  # type: ignore[union-attr]
            if inner is not None:
                self.patches.set(value, "_cond", inner)
        elif isinstance(value, queue.Queue) and type(value.mutex) is _REAL_LOCK_TYPE:
            idle = not any(c._waiters for c in _queue_conditions(value))
            mutex = self._lock(value.mutex, f"{name}.mutex") if idle else None
            if mutex is not None:
                self.patches.set(value, "mutex", mutex)
                for attribute in ("not_empty", "not_full", "all_tasks_done"):
                    real = getattr(value, attribute)
                    self.patches.set(
                        value, attribute, self._remember(real, threading.Condition(mutex))
                    )
        return None

    def adopt(self, value: Any, name: str, where: tuple[Any, ...]) -> None:
        """Code under test is about to read ``value``, a real primitive, from ``where``:
        put a modelled stand-in there first (undone when the session ends).

        A real lock that is already held cannot be swapped: a thread races does not
        control holds it (or untraced code took it), and a controlled thread that waited
        for it would block where the scheduler cannot see. The run stops at once, saying
        which lock and where, rather than after the watchdog's wait.
        """
        with self._adopting:
            self._adopt(value, name, where)

    def _adopt(self, value: Any, name: str, where: tuple[Any, ...]) -> None:
        if id(value) in self.visited:
            return
        new = self.replacement(value, name if where[0] != "cell" else "")
        if new is None:
            kind = type(value)
            if kind is _REAL_LOCK_TYPE or kind is _REAL_RLOCK_TYPE:
                self.held(value, name)
            elif id(value) not in self.swapped:
                self.visited.add(id(value))  # an Event or a Queue: swapped inside, or not ours
                self.patches.call_on_restore(lambda: value)  # its id stays its own
            return
        place = where[0]
        if place == "attr":
            owner, attr = where[1], where[2]
            if not isinstance(owner, (type, ModuleType)) and attr not in getattr(
                owner, "__dict__", {}
            ):
                # A class variable read through an instance: swap it in its class.
                owner = next(k for k in type(owner).__mro__ if attr in vars(k))
            self.patches.set(owner, attr, new)
        elif place in ("item", "global"):
            self.patches.set_item(where[1], where[2], new)
        elif place == "cell":
            self.patches.set_cell(where[1], new)

    def _condition(self, real: Any, name: str) -> Any:
        """The stand-in for a condition on a real lock, when nobody waits on it."""
        if id(real) in self.swapped:
            return self.swapped[id(real)]
        if type(real._lock) not in (_REAL_LOCK_TYPE, _REAL_RLOCK_TYPE) or real._waiters:
            return None
        inner = self._lock(real._lock, name)
        return None if inner is None else self._remember(real, threading.Condition(inner))

    def _lock(self, real: Any, name: str) -> Any:
        if id(real) in self.swapped:
            return self.swapped[id(real)]
        # The stand-in is named after the real lock for lock-order analysis: by the name
        # the code reaches it by, the same lock in every run, session and process.
        made = (name, 0, 0) if name else ("", 0, id(real))
        if type(real) is _REAL_LOCK_TYPE:
            if real.locked():
                return None
            stand_in = self.new_lock(real)
            stand_in._made = made
            return self._remember(real, stand_in)
        if real._is_owned():
            return None
        stand_in = self.new_lock(_REAL_ALLOCATE_LOCK())
        stand_in._made = made
        rlock = threading._PyRLock()  # type: ignore[attr-defined]
        rlock._block = stand_in
        return self._remember(real, rlock)

    def reset(self) -> list[Lock]:
        """Unlock every stand-in: a run may end with a thread aborted while holding one.
        Returns the modelled locks of the stand-ins, to be born at the start of the run
        (partial-order reduction names a lock by its birth, the same in every run).

        The real objects were free when we swapped them, so free is the state to restore.
        """
        locks = []
        for stand_in in self.swapped.values():
            if isinstance(stand_in, threading.Condition):
                stand_in._waiters.clear()  # type: ignore[attr-defined]
                stand_in = stand_in._lock  # type: ignore[attr-defined]
            _reset_lock(stand_in)
            locks.append(stand_in if isinstance(stand_in, Lock) else stand_in._block)
        return locks

    def _remember(self, real: Any, stand_in: Any) -> Any:
        self.swapped[id(real)] = stand_in
        # Keep the real object alive so its id is not reused while we map by id.
        self.patches.call_on_restore(lambda: real)
        return stand_in

    def namespace(self, owner: Any, module_name: str, *, objects: bool = False) -> None:
        """Swap the primitives in a module's namespace, its classes' and its small tables;
        with ``objects``, also those in the attributes of its classes' instances found
        there."""
        if id(owner) in self.visited:
            return
        self.visited.add(id(owner))
        for name, value in list(vars(owner).items()):
            where = getattr(owner, "__qualname__", None)
            path = f"{module_name}.{where}.{name}" if where else f"{module_name}.{name}"
            new = self.replacement(value, path)
            if new is not None:
                self.patches.set(owner, name, new)
            elif isinstance(value, type) and value.__module__ == module_name:
                self.namespace(value, module_name, objects=objects)
            elif type(value) in (list, dict) and len(value) <= _TABLE_SIZE:
                # A table of locks: `forks = [Lock() ...]`. A longer list or dict is data
                # (a module's cache, a lookup table): its locks, if any, are swapped
                # where the code reads them, rather than each session reading it all.
                keys = range(len(value)) if type(value) is list else list(value)
                for key in keys:
                    new = self.replacement(value[key], f"{path}[{key!r}]")
                    if new is not None:
                        self.patches.set_item(value, key, new)
            elif objects and isinstance(value, FunctionType):
                if value.__module__ == module_name:
                    self.captured(value, path)
            elif objects and type(value).__module__ == module_name and hasattr(value, "__dict__"):
                self.attributes(value, path)

    def attributes(self, obj: Any, path: str) -> None:
        """Swap the primitives among ``obj``'s own attributes."""
        if id(obj) in self.visited:
            return
        self.visited.add(id(obj))
        for name, value in list(vars(obj).items()):
            new = self.replacement(value, f"{path}.{name}")
            if new is not None:
                self.patches.set(obj, name, new)

    def captured(self, function: FunctionType, path: str) -> None:
        """Swap the primitives ``function`` captured: in its closure (the lock of a
        ``synchronized`` decorator) and its default arguments."""
        if id(function) in self.visited:
            return
        self.visited.add(id(function))
        for name, cell in zip(
            function.__code__.co_freevars, function.__closure__ or (), strict=True
        ):
            try:
                value = cell.cell_contents
            except ValueError:
                continue  # an empty cell
            new = self.replacement(value, f"{path}.{name}")
            if new is not None:
                self.patches.set_cell(cell, new)
        defaults = function.__defaults__ or ()
        swapped = tuple(
            self.replacement(value, f"{path}.__defaults__[{i}]") for i, value in enumerate(defaults)
        )
        if any(new is not None for new in swapped):
            function.__defaults__ = tuple(
                old if new is None else new for old, new in zip(defaults, swapped, strict=True)
            )
            self.patches.call_on_restore(lambda: setattr(function, "__defaults__", defaults))

    def logging(self) -> None:
        """The locks of ``logging``: its module lock and every handler's, made at import
        and taken by the standard library's code, which no read of the code under test
        reaches. A handler calls the program's code (its stream's ``write``, a formatter)
        while it holds its lock, so a thread preempted there would freeze every other
        thread that logs."""
        new = self.replacement(getattr(logging, "_lock", None), "logging._lock")
        if new is not None:
            self.patches.set(logging, "_lock", new)
        for ref in list(logging._handlerList):  # type: ignore[attr-defined]
            handler = ref()
            lock = getattr(handler, "lock", None)
            new = self.replacement(lock) if lock is not None else None
            if new is not None:
                self.patches.set(handler, "lock", new)

    def function(self, scenario: Callable[[], object]) -> None:
        target: Any = getattr(scenario, "__func__", scenario)
        while hasattr(target, "func") and not isinstance(target, FunctionType):
            target = target.func  # functools.partial
        for cell in getattr(target, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue  # an empty cell
            # Named by identity: a closure's cell holds another lock in the next call.
            new = self.replacement(value)
            if new is not None:
                self.patches.set_cell(cell, new)
