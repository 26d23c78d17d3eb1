"""``races.detect`` on free-running threads: record what they touch, schedule nothing.

The scheduler runs one thread at a time, on modelled locks and virtual time. A test whose
threads talk over a real socket, sleep, or wait with timeouts needs the real thing. Here
the scenario's threads run as the operating system runs them, on real locks and real time,
while races records what each instruction of the code under test reads and writes and how
the threads synchronise; ``races.core.detect`` then predicts, from that one log, what other
interleavings would do, as ThreadSanitizer does for C.

What is observed
----------------
The thread that calls the scenario, and every thread an observed thread starts through
``threading`` (an executor's workers included), transitively. Other threads (a test
runner's timer, a library's background thread) are not: they run as if races were not
there, and a lock they take behaves as the real one it is. ``Thread.start`` logs the start
in the parent before the child exists; the child registers itself on its own OS thread
before its target runs, and at its end gives back a pseudo-lock that ``join`` (or an
``is_alive()`` that says False) takes: whatever a thread did happens before its joiner
goes on. Threads the scenario leaves running when it returns are waited for, as the
interpreter waits at exit, unless they are daemons: a daemon that waits in a primitive then
is dropped (it unwinds), as the interpreter drops it; one busy elsewhere runs on,
unrecorded.

Synchronisation
---------------
Every primitive of ``threading``, ``queue`` and ``concurrent.futures`` is built on locks.
While the run lasts, a lock made by an observed thread is a *recording lock*: a real lock
that logs ``acquire`` just after it is taken and ``release`` just before it is given back,
so the log's order is the real order. Conditions' waiter locks then give notify -> wait
edges, queues their put -> get edges, futures their result edges. Semaphore permits, a
timer's cancel flag, a memcached entry and a future's lost error are logged by the
scheduler's models of them, which this run stands in for (``execution.active``).

Locks made before the run (at import, as class attributes, in a library's objects) would
be real, and their edges missed: false reports. They are swapped for recording locks as
the scheduler swaps them for modelled ones (``patches.swap_primitives``), except that the
recording lock wraps the very same real lock, so code that kept a reference to it still
excludes the observed threads. A lock already held when the code first reaches it cannot
be swapped; it is left alone, unrecorded, and the result says so.

Deadlocks
---------
An observed thread that must wait (for a lock, a thread's end, a sleep's end, I/O in a
selector) does so in slices of real time, and between two slices it looks at the others
(no watchdog thread is needed: a run where nobody waits cannot deadlock). Every waiting thread has said what it waits for, and every recording lock knows
its holder, so the wait-for graph is at hand. When every observed thread waits for good
and the picture holds for two looks, the run is analysed as the scheduler analyses a run
where nobody can run (``deadlock.analyse``): a cycle is a deadlock, a lock re-taken by its
holder a self-deadlock, anything else stuck threads (after a second of grace, or the
watchdog's time once a thread races does not observe has used a recording lock: such a
thread might still wake them). A cycle of threads waiting for each other's locks is a
deadlock even while other threads run, once it has held for a second.
The verdict ends the run: every observed thread unwinds at its next wait or recorded
access, and ``detect`` returns the failure with the cycle. A thread blocked where races
cannot see (a real lock it could not swap, a C call) is told by a plain timeout, when no
observed thread has moved for ``watchdog`` seconds and none waits for a time to pass; it
cannot be unwound, and the report says so.
"""

from __future__ import annotations

import _thread
import concurrent.futures.thread as futures_thread
import itertools
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from races.core import diagnosis
from races.core.access import ACCESSES, OWNERS, log_touched
from races.core.codefilter import CodeFilter
from races.core.runtime import EXPLORING, check_session
from races.core.sites import (
    MUTEX_OPERATIONS,
    LockClass,
    LockClasses,
    Site,
    call_site,
    is_races_internal,
    raised_by_races,
)
from races.core.strategies.base import Chooser
from races.runtimes.threads import deadlock, execution, patches
from races.runtimes.threads.models import clock, io
from races.runtimes.threads.records import ControlledThread, State
from races.runtimes.threads.tracing import Mechanism, make_tracer
from races.vocabulary.access import OPAQUE_STEP, Event, Sync
from races.vocabulary.errors import InternalError
from races.vocabulary.kinds import FailureKind, StepKind
from races.vocabulary.outcome import Failure, Outcome, describe, scenario_failure

INSTRUCTION, BLOCK, FINISH, SLEEP = (
    StepKind.INSTRUCTION,
    StepKind.BLOCK,
    StepKind.FINISH,
    StepKind.SLEEP,
)

_real_allocate_lock = _thread.allocate_lock
_REAL_LOCK_TYPE = _thread.LockType
_get_ident = _thread.get_ident
_monotonic = time.monotonic
_real_start = threading.Thread.start
_real_bootstrap_inner = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]
_real_join = threading.Thread.join
_real_is_alive = threading.Thread.is_alive
_real_sleep = time.sleep

#: Real seconds a waiting thread waits before it looks at the others.
SLICE = 0.05
#: How long every observed thread must have waited in a cycle before it is a deadlock.
DEADLOCK_AFTER = 2 * SLICE
#: How long every observed thread must have waited, with nobody left to wake it, before
#: they are stuck: a thread races does not observe may still wake them until then.
STUCK_AFTER = 1.0
#: How long a cycle of threads must have waited for each other's locks while other
#: threads still run: one of those might still give a lock back that it did not take.
CYCLE_AFTER = 1.0
#: Real seconds the threads of a failed run get to unwind before they are given up.
UNWIND_TIME = 2.0

#: The run in progress, if any: what recording locks and the patched ``Thread`` ask.
_active: Observer | None = None
_serials = itertools.count(1)


class Lock:
    """A real lock that tells the run in progress when it is taken and given back.

    A thread the run does not observe (or any thread once the run is over) just uses the
    real lock. Named as the scheduler's model is: what a report calls the operation
    (``Lock.acquire``, a mutex) is read from the name of the frame that called it.
    """

    __slots__ = ("__weakref__", "_holder", "_lock", "_made", "_site", "serial")

    def __init__(self, real: Any = None) -> None:
        self._lock: Any = _real_allocate_lock() if real is None else real
        self._holder: ControlledThread | None = None
        self._site: Site | None = None
        self.serial = next(_serials)
        run = _active
        self._made: LockClass | None = None
        if run is not None and real is None:
            self._made = run.lock_class()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        run = _active
        rec = run.by_ident.get(_get_ident()) if run is not None else None
        if rec is None or run is None:
            if run is not None:
                run.outside = True
            return bool(self._lock.acquire(blocking, timeout))
        got: bool
        if (
            not blocking
            or timeout == 0
            or (timeout < 0 and timeout != -1)
            or timeout > _thread.TIMEOUT_MAX
        ):
            got = self._lock.acquire(blocking, timeout)  # never waits; refuses as CPython does
        elif self._lock.acquire(False):
            got = True
        else:
            got = run.wait(rec, self, None if timeout == -1 else timeout, self._attempt)
        if got:
            self._took(run, rec)
        return got

    def _attempt(self, seconds: float | None) -> bool:
        return bool(self._lock.acquire(True, -1 if seconds is None else seconds))

    def _took(self, run: Observer, rec: ControlledThread) -> None:
        self._holder = rec
        site = call_site(run.under_test)
        self._site = site
        mutex = site is not None and site.operation in MUTEX_OPERATIONS
        if mutex:
            rec.took(self)
        run.synced(rec, Sync("acquire", id(self), _where(site), mutex, made=self._made))

    def release(self) -> None:
        run = _active
        rec = run.by_ident.get(_get_ident()) if run is not None else None
        if run is not None and rec is None:
            run.outside = True
        elif run is not None and rec is not None and self._lock.locked():
            # Before it is free: nobody can take it in between, so the log keeps the order.
            run.synced(rec, Sync("release", id(self), _where(call_site(run.under_test))))
        holder = self._holder
        self._holder = None
        self._lock.release()
        if holder is not None:
            holder.gave_back(self)

    def locked(self) -> bool:
        return bool(self._lock.locked())

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()
        self._holder = None

    acquire_lock = acquire
    release_lock = release
    locked_lock = locked

    @property
    def holder(self) -> ControlledThread | None:
        return self._holder

    @property
    def site(self) -> Site | None:
        return self._site

    def __repr__(self) -> str:
        state = "locked" if self._lock.locked() else "unlocked"
        return f"<{state} races.runtimes.threads.observe.Lock object at {id(self):#x}>"


def _where(site: Site | None) -> tuple[str, int] | None:
    return (site.filename, site.lineno) if site is not None else None


def allocate_lock() -> Any:
    """``threading.Lock`` and ``_thread.allocate_lock`` during the run: a recording lock
    for an observed thread, a real one for any other."""
    run = _active
    if run is None or _get_ident() not in run.by_ident:
        return _real_allocate_lock()
    return Lock()


class _LockTypeMeta(type):
    def __call__(cls) -> Any:
        return allocate_lock()

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, (_REAL_LOCK_TYPE, Lock))

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, (_REAL_LOCK_TYPE, Lock))


class LockType(metaclass=_LockTypeMeta):
    """``_thread.LockType`` (3.13's ``threading.Lock``, the same type) during the run:
    calling it makes the calling thread's kind of lock, and ``isinstance`` accepts both."""


class _End:
    """What joining a thread waits for: its end, held by the thread while it runs."""

    __slots__ = ("rec",)

    def __init__(self, rec: ControlledThread) -> None:
        self.rec = rec

    @property
    def holder(self) -> ControlledThread | None:
        return None if self.rec.state is State.FINISHED else self.rec

    def locked(self) -> bool:
        return self.rec.state is not State.FINISHED

    @property
    def label(self) -> str:
        return f"the end of {self.rec.name}"


class Observer:
    """One run of a scenario on free-running threads, with everything it needs installed.

    It is a ``Runtime`` whose every session runs once: ``detect_in`` drives it as it
    drives the scheduler's. The chooser it is given has nothing to choose.
    """

    points = "instruction"
    #: Its threads ran free: the run is the program's own, not one the scheduler chose.
    real_threads = True

    def __init__(
        self,
        scenario: Callable[[], object],
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        max_steps: int = 10_000_000,
        watchdog: float = 10.0,
        tracing: Mechanism = "auto",
    ) -> None:
        check_session(scenario, max_steps)
        self.scenario = scenario
        self.max_steps = max_steps
        self.watchdog = watchdog
        self.under_test = CodeFilter.shared(include, exclude)
        self.tracer = make_tracer(self.under_test, "instruction", tracing, True, switching=False)
        self.runs = 0
        self.recording = True
        self._patches = patches.Patches()
        self._swap: Any = None
        # The run: its threads (the scenario's own first), by OS ident and by Thread.
        self.threads: list[ControlledThread] = []
        self.by_ident: dict[int, ControlledThread] = {}
        self._by_thread: dict[int, ControlledThread] = {}
        self._ends: list[_End] = []
        self._since: dict[int, float] = {}  # thread index -> when its current wait began
        #: What the steps touched and how threads synchronised, in the order it happened.
        self.events: list[Event] = []
        self._records: list[tuple[int, tuple[Any, ...]]] = []  # (step, trace record)
        self._steps = itertools.count()  # next() is atomic: steps are numbered as they come
        self.failure: Failure | None = None
        self.failed_futures: list[tuple[Any, str]] = []
        #: Blocking sleeps on a thread that runs an asyncio event loop.
        self.loop_blocks: list[tuple[str, float, diagnosis.Site | None]] = []
        self.aborting = False  # a verdict is in: observed threads unwind
        self.internal_error: InternalError | None = None
        self._dropped: set[int] = set()  # daemons left waiting when the program ended
        self.sleep_before: Callable[[float], None] = _real_sleep  # time.sleep when it began
        #: Whether a thread the run does not observe took or gave back a recording lock:
        #: then it may be what wakes a waiting thread, and stuck is only said late.
        self.outside = False
        self.over = False  # the run has ended: nothing more is recorded
        self.lock_classes = LockClasses()
        self._guard = _real_allocate_lock()
        self._checking = _real_allocate_lock()
        self._next_check = 0.0
        self._suspect: object = None  # the waits the last look saw
        self._progress: object = None
        self._still_since = 0.0
        self._unrecorded: dict[int, str] = {}  # id(real lock) -> its name

    # ------------------------------------------------------------------ session

    def __enter__(self) -> Observer:
        EXPLORING.enter()
        try:
            self._install()
            self.tracer.install()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self._close()

    def _close(self) -> None:
        global _active
        _active = None
        self.over = True
        self.tracer.execution = None
        try:
            try:
                self.tracer.uninstall()
            except Exception:  # noqa: BLE001 - install may have failed half-way
                pass
            self._patches.restore()
        finally:
            EXPLORING.leave()

    def _install(self) -> None:
        p = self._patches
        # 3.13's threading.Lock is the lock type itself: keep isinstance() working there.
        p.set(threading, "Lock", LockType if isinstance(threading.Lock, type) else allocate_lock)
        p.set(threading, "_allocate_lock", allocate_lock)
        p.set(threading, "_CRLock", None)  # RLock() then builds CPython's _PyRLock on our Lock
        p.set(_thread, "allocate_lock", allocate_lock)
        if hasattr(_thread, "allocate"):
            p.set(_thread, "allocate", allocate_lock)
        p.set(queue, "SimpleQueue", queue._PySimpleQueue)  # type: ignore[attr-defined]
        for name in ("start", "_bootstrap_inner", "join", "is_alive"):
            p.set(threading.Thread, name, vars(Thread)[name])
        # Sleeping and waiting for I/O in slices too: a verdict can end them, a sleep is
        # a wait that ends by itself (not a thread that stopped moving), and a sleep on an
        # event loop's thread blocks the loop.
        self.sleep_before = time.sleep
        p.set(time, "sleep", _sleep)
        for selector in io.SELECTORS:
            p.set(selector, "select", _select(selector.select))
        # The scheduler's models of what locks cannot say (permits, a timer's flag, a
        # cache server's entries, a future nobody asked) log through the active run.
        p.set(execution, "active", self)
        patches.install_models(p)
        p.set(threading, "excepthook", patches._excepthook(threading.excepthook))
        # Executors started in the run, for the end of the scenario to stop as the
        # interpreter's exit would; those of the rest of the process are not ours.
        p.set(futures_thread, "_threads_queues", weakref.WeakKeyDictionary())
        p.set(futures_thread, "_shutdown", False)
        self._swap = patches.swap_primitives(
            p,
            self.under_test,
            self.scenario,
            leaves={
                _real_allocate_lock: allocate_lock,
                _REAL_LOCK_TYPE: LockType,
                _real_sleep: _sleep,
            },
            new_lock=Lock,
            held=self._held,
        )

    def _held(self, real: Any, name: str) -> None:
        """A real lock already held where the code first reached it: left unrecorded."""
        self._unrecorded.setdefault(id(real), name or repr(real))

    # ------------------------------------------------------------------ the run

    def run(self, chooser: Chooser, watch: Callable[[], tuple[str, ...]] | None = None) -> Outcome:
        """The one run: the scenario on this thread, its threads free."""
        global _active
        if self.runs:
            raise RuntimeError("races: a real-thread session runs its scenario once")
        self.runs = 1
        root = self._new_thread(threading.current_thread())
        root.ident = _get_ident()
        self.by_ident[root.ident] = root
        self.tracer.execution = self
        previous = sys.gettrace()
        _active = self
        OWNERS.new_run()
        try:
            try:
                self.tracer.start_thread(self, root)
                try:
                    self.scenario()
                    patches.interpreter_exit()  # idle executor workers stop, as at exit
                finally:
                    self.tracer.stop_thread()
                    if sys.gettrace() is not previous:
                        sys.settrace(previous)
            except execution.Abort:
                pass  # a verdict ended the run
            except Exception as exc:  # noqa: BLE001 - the scenario's own failure
                if raised_by_races(exc):  # a slip of races, in the program's run
                    self.internal_error = InternalError("running the scenario", exc)
                self._fail(scenario_failure(exc), abort=True)
            except BaseException:
                self._fail(Failure(FailureKind.EXCEPTION, "interrupted"), abort=True)
                raise  # Ctrl-C, a test runner's timeout: unwind the threads, then go
        finally:
            root.state = State.FINISHED
            self._wait_for_threads()
            with self._guard:
                self.over = True
            _active = None
            OWNERS.new_run()  # the run's objects are the program's again
        if self.internal_error is not None:
            raise self.internal_error
        return self._outcome()

    def _new_thread(self, thread: threading.Thread) -> ControlledThread:
        with self._guard:
            rec = ControlledThread(len(self.threads), bool(thread.daemon))
            rec.thread = thread
            self.threads.append(rec)
            self._ends.append(_End(rec))
            self._by_thread[id(thread)] = rec
        return rec

    def _wait_for_threads(self) -> None:
        """Wait for the threads the scenario left running, as the interpreter would at
        exit; then the program is over. After a verdict, every thread unwinds."""
        while not self.aborting:
            waiting = [
                t for t in self.threads[1:] if t.state is not State.FINISHED and not t.daemon
            ]
            if not waiting:
                break
            _join_for(waiting[0].thread, SLICE)
            self._check()
        verdict = self.aborting
        deadline = _monotonic() + UNWIND_TIME
        if verdict:
            for t in self.threads[1:]:
                if t.state is not State.FINISHED:
                    _join_for(t.thread, max(0.0, deadline - _monotonic()))
        else:
            self._drop_daemons(deadline)
        for t in self.threads[1:]:  # their OS threads too, not just their code
            if t.state is State.FINISHED:
                _join_for(t.thread, max(0.0, deadline - _monotonic()))
        left = [t.name for t in self.threads[1:] if t.state is not State.FINISHED]
        if left and verdict and self.failure is not None:
            self.failure.report += (
                f"\n\nraces could not stop {', '.join(left)}: blocked where it cannot see, "
                f"{'they stay' if len(left) > 1 else 'it stays'} blocked until that call returns."
            )

    def _drop_daemons(self, deadline: float) -> None:
        """The program is over, and the interpreter would drop its daemon threads: each one
        that waits in a primitive (or gets to one: it is still moving) unwinds. One that
        stays where races cannot see (a C call, a socket's accept) runs on, unrecorded."""
        seen: dict[int, object] = {}
        while _monotonic() < deadline:
            frames = sys._current_frames()
            going = False
            for t in self.threads[1:]:
                if t.state is State.FINISHED:
                    continue
                if t.state is State.BLOCKED or t.index in self._dropped:
                    self._dropped.add(t.index)  # it unwinds within a slice
                    going = True
                    continue
                where = _position(frames.get(t.ident)) if t.ident is not None else None
                if t.ident is None or seen.get(t.index, self) != where:
                    going = True  # not started yet, or moving: it may be on its way to a wait
                seen[t.index] = where
            if not going:
                return
            _real_sleep(SLICE)

    def _outcome(self) -> Outcome:
        events = list(self.events)  # first: each event's step is logged before it
        records = sorted(self._records, key=lambda r: r[0])
        if records and records[-1][0] != len(records) - 1:
            # A step numbered but not logged when the run ended (a daemon's): renumber.
            number = {step: i for i, (step, _) in enumerate(records)}
            events = [
                (thread, number.get(step, -1), event, where)
                for thread, step, event, where in events
                if step < 0 or step in number or isinstance(event, Sync)
            ]
        failure = self.failure or diagnosis.unretrieved_future(self.failed_futures)
        if failure is not None and failure.pattern is None and self.loop_blocks:
            failure = diagnosis.blocked_loop(failure, self.loop_blocks)
        return Outcome(
            failure=failure,
            steps=len(records),
            decisions=[],
            trace=[record for _, record in records],
            thread_names=[t.name for t in self.threads],
            events=events,
        )

    def unrecorded(self) -> list[str]:
        """The real locks that were held whenever the code reached them: not recorded."""
        swapped = self._swap.swapped if self._swap is not None else {}
        return [name for key, name in self._unrecorded.items() if key not in swapped]

    # ------------------------------------------------------------------ threads

    def started(self, parent: ControlledThread, thread: threading.Thread) -> ControlledThread:
        """``parent`` is about to start ``thread``: it is observed, and starts after this."""
        if self.aborting:
            parent.unwinding = True
            raise execution.Abort
        rec = self._new_thread(thread)
        execution._silence_abort(thread)
        self.synced(parent, Sync("start", rec.index))
        return rec

    def entered(self, rec: ControlledThread) -> None:
        """On the new thread, before its target runs."""
        rec.ident = _get_ident()
        self.by_ident[rec.ident] = rec
        self.tracer.start_thread(self, rec)

    def ended(self, rec: ControlledThread) -> None:
        """On the thread, after its target: whatever it did happens before its joiners."""
        self.tracer.stop_thread()
        if not self.over:
            self.synced(rec, Sync("release", id(self._ends[rec.index])))
            self._records.append((next(self._steps), (rec.index, FINISH, None, None)))
        rec.state = State.FINISHED
        if rec.ident is not None:
            self.by_ident.pop(rec.ident, None)  # before the OS thread ends: idents are reused

    def joined(
        self, rec: ControlledThread, thread: threading.Thread, timeout: float | None
    ) -> None:
        """``rec`` joins an observed thread: wait in slices, and order its end before."""
        target = self._by_thread[id(thread)]
        if _real_is_alive(thread) and (timeout is None or timeout > 0):

            def attempt(seconds: float | None) -> bool:
                _real_join(thread, seconds)
                return not _real_is_alive(thread)

            self.wait(rec, self._ends[target.index], timeout, attempt)
        if not _real_is_alive(thread):
            self.synced(rec, Sync("acquire", id(self._ends[target.index])))

    def saw_end(self, rec: ControlledThread, thread: threading.Thread) -> None:
        """``rec`` found ``thread`` ended (``is_alive()`` said False): ordered after it."""
        target = self._by_thread.get(id(thread))
        if target is not None and target.thread is thread and target.state is State.FINISHED:
            self.synced(rec, Sync("acquire", id(self._ends[target.index])))

    # ------------------------------------------------------------------ recording

    def accessed(self, rec: ControlledThread, frame: FrameType, offset: int) -> None:
        """The instruction at ``offset`` is about to run in ``rec``: log what it touches."""
        if rec.busy or self.over:
            return
        if self.aborting:
            self._unwind(rec)
            return
        rec.busy = True  # reading values may run a key's __hash__: not recorded
        try:
            touched = ACCESSES.accesses(frame, offset)
        finally:
            rec.busy = False
        if not touched.accesses and not touched.opaque:
            return
        step = self._step(rec, (rec.index, INSTRUCTION, frame.f_code, offset))
        log_touched(self.events, rec.index, step, touched, frame, offset)

    def _step(self, rec: ControlledThread, record: tuple[Any, ...]) -> int:
        step = next(self._steps)
        if step >= self.max_steps:
            limit = diagnosis.step_limit(self.max_steps, causes=" (a livelock or an infinite loop)")
            self._fail(limit, abort=True)
            self._unwind(rec)
        rec.last_step = step
        rec.steps += 1
        self._records.append((step, record))
        return step

    def synced(self, rec: ControlledThread, sync: Sync) -> None:
        """``rec`` synchronised (a lock taken or given back, a thread started or joined)."""
        if not self.over:
            self.events.append((rec.index, rec.last_step, sync, None))

    def unseen_code(self, rec: ControlledThread) -> None:
        """``rec`` runs code that hides what it touches: its step may touch anything."""
        step = rec.last_step
        if step >= 0 and rec.opaque_at != step and not rec.described and not self.over:
            rec.opaque_at = step
            self.events.append((rec.index, step, OPAQUE_STEP, None))

    def called_back(self, rec: ControlledThread, frame: FrameType) -> None:
        """Never called: threads run free, and a real lock blocks them as it would."""

    def switch_point(self, rec: ControlledThread, kind: StepKind, a: Any, b: Any) -> None:
        """Never called: threads run free, with no switch points."""

    def lock_class(self) -> LockClass | None:
        """The class of a lock an observed thread is making (one thread at a time)."""
        with self._guard:
            return self.lock_classes.name(self.under_test)

    # ------------------------------------------------------------------ the run's end

    def fail(
        self,
        kind: FailureKind,
        exc: BaseException | None,
        message: str | None = None,
        report: str = "",
        pattern: str | None = None,
    ) -> None:
        """A thread's uncaught exception (``patches._excepthook``): the run has failed, and
        goes on as the program would."""
        if isinstance(exc, execution.Abort) or self.aborting:
            return
        if exc is not None and raised_by_races(exc):  # a slip of races, in the program's run
            self.internal_error = InternalError("running the scenario", exc)
            self._fail(Failure(kind, describe(exc), exc), abort=True)
            return
        here = self.by_ident.get(_get_ident())
        self._fail(
            Failure(
                kind,
                message if message is not None else describe(exc),
                exc,
                here.name if here is not None else None,
                report,
                pattern,
            )
        )

    def _fail(self, failure: Failure, abort: bool = False) -> None:
        with self._guard:
            if self.failure is None:
                self.failure = failure
            if abort:
                self.aborting = True

    @staticmethod
    def _unwind(rec: ControlledThread) -> None:
        """End an observed thread's part in a run that is over: once, so that its
        ``finally`` and ``with`` blocks then run freely."""
        if not rec.unwinding:
            rec.unwinding = True
            raise execution.Abort

    # ------------------------------------------------------------------ waiting

    def wait(
        self,
        rec: ControlledThread,
        waited: Any,
        timeout: float | None,
        attempt: Callable[[float | None], bool],
    ) -> bool:
        """Wait for ``waited`` (a recording lock, a thread's end, I/O; None: a sleep) up to
        ``timeout`` real seconds (None: for good), by ``attempt``s of a slice each, looking
        at the other threads in between. True if it came, False if the time ran out."""
        site = call_site(self.under_test)
        op = site.operation if site is not None else "Lock.acquire"
        where = _where(site)
        now = _monotonic()
        deadline = None if timeout is None else now + timeout
        if not self.over:
            if waited is None:
                self._step(rec, (rec.index, SLEEP, timeout, where))
            else:
                self._step(rec, (rec.index, BLOCK, op, where))
        rec.waiting_for = waited
        rec.blocked_op, rec.blocked_site = op, where
        rec.deadline = deadline
        self._since[rec.index] = now
        rec.state = State.BLOCKED
        try:
            while True:
                if self.over:  # the run has ended: wait as the program would
                    return attempt(None if deadline is None else max(0.0, deadline - now))
                if self.aborting or rec.index in self._dropped:
                    rec.unwinding = True
                    raise execution.Abort  # a thread that unwinds waits for nobody
                seconds = SLICE if deadline is None else min(SLICE, deadline - now)
                if seconds <= 0:
                    return False
                if attempt(seconds):
                    return True
                self._check()
                now = _monotonic()
        finally:
            rec.state = State.RUNNABLE
            rec.waiting_for = None
            rec.deadline = None

    def _check(self) -> None:
        """Look at the observed threads (one looker at a time, once a slice)."""
        now = _monotonic()
        if now < self._next_check or not self._checking.acquire(False):
            return
        try:
            self._next_check = now + SLICE
            failure = self._verdict(now)
        finally:
            self._checking.release()
        if failure is not None:
            self._fail(failure, abort=True)

    def _verdict(self, now: float) -> Failure | None:
        live = [t for t in self.threads if t.state is not State.FINISHED]
        blocked = [t for t in live if t.state is State.BLOCKED]
        frames = sys._current_frames()
        progress = (
            len(self._records),
            len(self.events),
            tuple(
                (t.steps, id(t.waiting_for))
                if t.state is State.BLOCKED
                else _position(frames.get(t.ident or 0))
                for t in live
            ),
        )
        if progress != self._progress:
            self._progress, self._still_since = progress, now
        view = tuple((t.index, t.steps, id(t.waiting_for)) for t in blocked)
        agreed, self._suspect = view == self._suspect, view
        if agreed and blocked:
            for_good = [
                t
                for t in blocked
                if t.deadline is None
                and t.waiting_for is not None
                and not getattr(t.waiting_for, "external", False)  # the world may answer
                and t.waiting_for.locked()
            ]
            waited = now - max(self._since.get(t.index, now) for t in blocked)
            if len(for_good) == len(live) and waited >= DEADLOCK_AFTER:
                failure = deadlock.analyse(live, self.threads[0], self.under_test, self._ended())
                grace = max(STUCK_AFTER, self.watchdog) if self.outside else STUCK_AFTER
                if failure.kind is FailureKind.DEADLOCK or waited >= grace:
                    return failure
            cycle = self._cycle(for_good, now)
            if cycle:
                return deadlock.analyse(cycle, self.threads[0], self.under_test)
        timed = any(t.deadline is not None and t.deadline > now for t in blocked)
        if live and not timed and now - self._still_since >= self.watchdog:
            if len(blocked) == len(live):  # every one waits where races sees it
                return deadlock.analyse(live, self.threads[0], self.under_test, self._ended())
            return self._timeout(live, frames)
        return None

    def _ended(self) -> list[ControlledThread]:
        return [t for t in self.threads if t.state is State.FINISHED]

    def _cycle(self, waiting: list[ControlledThread], now: float) -> list[ControlledThread]:
        """Threads that have waited a while, each for a mutex (or the end) of the next."""
        edges: dict[ControlledThread, ControlledThread] = {}
        for t in waiting:
            waited = t.waiting_for
            holder = getattr(waited, "holder", None)
            if holder is None or holder is t or holder.state is not State.BLOCKED:
                continue
            if isinstance(waited, _End) or any(lock is waited for lock in holder.held):
                edges[t] = holder
        cycle = diagnosis.find_cycle(edges, order=sorted(edges, key=lambda t: t.index))
        if all(now - self._since.get(t.index, now) >= CYCLE_AFTER for t in cycle):
            return cycle
        return []

    def _timeout(self, live: list[ControlledThread], frames: dict[int, FrameType]) -> Failure:
        """No observed thread has moved for the watchdog's time: say where each one is."""
        lines = []
        for t in live:
            if t.state is State.BLOCKED:
                site = f" at {diagnosis.show_site(t.blocked_site)}" if t.blocked_site else ""
                lines.append(f"  {t.name} waits in {t.blocked_op}{site}")
            else:
                lines.append(f"  {t.name} is in {_shown(frames.get(t.ident or 0))}")
        first = next((t for t in live if t.state is not State.BLOCKED), live[0])
        where = _shown(frames.get(first.ident or 0))
        return Failure(
            FailureKind.STUCK,
            f"stuck: no thread moved for {self.watchdog:g} s; {first.name} is in {where}",
            report=(
                f"Stuck: for {self.watchdog:g} s no thread the scenario started has moved, and "
                "races cannot see what holds them: a real lock made before detect and already "
                "held then, a C call that blocks, or I/O that never answers:\n" + "\n".join(lines)
            ),
        )


def _position(frame: FrameType | None) -> object:
    return None if frame is None else (id(frame), frame.f_lasti)


def _shown(frame: FrameType | None) -> str:
    """Where a thread is in its own code: its innermost frame outside races."""
    if frame is None:
        return "code races cannot see"
    while frame.f_back is not None and is_races_internal(frame.f_code.co_filename):
        frame = frame.f_back
    code = frame.f_code
    return f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})"


def _join_for(thread: Any, seconds: float) -> None:
    """Wait up to ``seconds`` for ``thread`` to end, without recording anything."""
    if thread._started.is_set():
        _real_join(thread, seconds)
    else:
        thread._started.wait(seconds)


def _observed() -> tuple[Observer, ControlledThread] | None:
    run = _active
    if run is None:
        return None
    rec = run.by_ident.get(_get_ident())
    return None if rec is None else (run, rec)


class Thread:
    """What ``threading.Thread`` does during the run: each method is set on the class, and
    taken off after. (Named so that reports call a wait in them ``Thread.join``.)"""

    def start(self: Any) -> None:
        here = _observed()
        if here is None:
            return _real_start(self)
        run, parent = here
        rec = run.started(parent, self)
        try:
            _real_start(self)
        except BaseException:
            rec.state = State.FINISHED  # it never ran
            raise

    def _bootstrap_inner(self: Any) -> None:
        run = _active
        rec = run._by_thread.get(id(self)) if run is not None else None
        if run is None or rec is None or rec.thread is not self or run.over:
            return _real_bootstrap_inner(self)  # type: ignore[no-any-return]
        run.entered(rec)
        try:
            _real_bootstrap_inner(self)
        finally:
            run.ended(rec)

    def join(self: Any, timeout: float | None = None) -> None:
        here = _observed()
        rec = here[0]._by_thread.get(id(self)) if here is not None else None
        if here is None or rec is None or rec.thread is not self:
            return _real_join(self, timeout)
        _real_join(self, 0)  # CPython's own refusals: a thread not started, or itself
        here[0].joined(here[1], self, None if timeout is None else max(0.0, timeout))

    def is_alive(self: Any) -> bool:
        alive = _real_is_alive(self)
        if not alive:
            here = _observed()
            if here is not None:
                here[0].saw_end(here[1], self)
        return alive


def _sleep(secs: float) -> None:
    run = _active
    before = run.sleep_before if run is not None else _real_sleep
    here = _observed()
    if here is None or before is not _real_sleep:  # a test's own fake sleep stays its own
        return before(secs)
    if isinstance(secs, bool) or not isinstance(secs, (int, float)) or secs <= 0:
        return _real_sleep(secs)  # CPython's own refusals, and sleep(0)
    run, rec = here
    if clock._runs_event_loop():
        site = call_site(run.under_test)
        run.loop_blocks.append((rec.name, float(secs), _where(site)))

    def attempt(seconds: float | None) -> bool:
        _real_sleep(seconds if seconds is not None else secs)
        return False

    run.wait(rec, None, float(secs), attempt)


def _select(real: Callable[[Any, float | None], list[Any]]) -> Callable[..., list[Any]]:
    """A selector class's ``select``, waiting in slices on an observed thread."""

    def select(self: Any, timeout: float | None = None) -> list[Any]:
        here = _observed()
        if here is None:
            return real(self, timeout)
        ready = real(self, 0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        found: list[Any] = []

        def attempt(seconds: float | None) -> bool:
            found.extend(real(self, seconds))
            return bool(found)

        here[0].wait(here[1], io.IOWait(self, real), timeout, attempt)
        return found

    select.__wrapped__ = real  # type: ignore[attr-defined]
    return select
