"""One run of a scenario under the scheduler.

Threads and gates
-----------------
Each controlled thread is a raw OS thread (never a ``threading.Thread`` of ours: that
class runs on the very primitives we replace) with a *gate*, a raw lock that is held
while the thread may not run. Exactly one thread is between its gate and the next switch
point at any moment: the one in ``Execution.current``. To hand over, the running thread
opens the chosen thread's gate and waits at its own (``_handoff``).

Blocking
--------
A modelled lock that cannot be taken calls ``block``: the thread is marked as waiting for
that lock, and the scheduler picks someone else. A waiting thread is *enabled* again as
soon as its lock is free, so when it is chosen its acquire succeeds at once. A waiting
thread with a timeout is woken by virtual time, which only moves when no thread can run
(trio's autojump clock): a ``join(timeout=1)`` on a stuck thread returns at once, and
threads whose deadlines coincide are all woken together, so the strategy chooses their
order. Timed code never waits for real time, and timeouts never fire while someone could
still make progress, which keeps the search to interleavings that matter.

When nobody can run and no deadline is pending, the run is over: a deadlock or a stuck
thread, analysed by ``deadlock.py``. Detection is instant and never waits.

Ending a run
------------
A run ends when the scenario and every non-daemon thread it started have finished (as the
interpreter would exit, abandoning daemon threads), or at the first failure. Whatever the
cause, the driver then *aborts* the remaining threads one at a time: it opens their gates
with ``aborting`` set, so each raises ``Abort`` (a ``BaseException`` user code does not
catch) at its next switch point and unwinds. Nothing is left running.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]
import _thread
import contextlib
import math
import signal
import sys
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from races.core import diagnosis
from races.core.access import ACCESSES, log_touched
from races.core.codefilter import CodeFilter
from races.core.focus import Quiet
from races.core.runtime import IO_GRACE
from races.core.sites import (
    LockClasses,
    hidden,
    is_races_internal,
    raised_by_races,
)
from races.core.strategies.base import CUT
from races.runtimes.threads import affinity, deadlock, real_locks
from races.runtimes.threads.records import ControlledThread, State
from races.vocabulary.access import OPAQUE_STEP, Event, Sync
from races.vocabulary.errors import (
    InternalError,
    RacesError,
    UncontrolledBlockingError,
    UncontrolledThreadError,
)
from races.vocabulary.kinds import FailureKind, StepKind
from races.vocabulary.outcome import Decision, Failure, Outcome, describe

#: The filter of a session that excludes nothing: code it accepts that a session does
#: not trace is an excluded package's.
TRACED_BY_DEFAULT = CodeFilter.shared()

if TYPE_CHECKING:
    from races.core.strategies.base import Chooser
    from races.runtimes.threads.tracing import Tracer

LINE, INSTRUCTION, BLOCK, FINISH, SLEEP = (
    StepKind.LINE,
    StepKind.INSTRUCTION,
    StepKind.BLOCK,
    StepKind.FINISH,
    StepKind.SLEEP,
)

# Captured at import: while exploring, the `_thread` module's own functions are models.
_get_ident = _thread.get_ident
_allocate_lock = _thread.allocate_lock
_start_new_thread = _thread.start_new_thread
_start_joinable_thread = getattr(_thread, "start_joinable_thread", None)
_set_sentinel = getattr(_thread, "_set_sentinel", None)
_real_count = _thread._count
_real_monotonic = time.monotonic
_real_sleep = time.sleep

#: How long the running thread stays still, in a call races does not control, before
#: races looks whether it waits for a real lock that is held (then it stops the run).
REAL_LOCK_GRACE = 0.25

#: The execution in progress, if any. There is at most one per process: the patches it
#: relies on are process-wide.
active: Execution | None = None


class Abort(BaseException):
    """Unwinds a controlled thread when its run is over. Never escapes races; code that
    runs the user's code on a controlled thread must let it through."""


class Execution:
    """One run: starts the scenario on a controlled thread and drives it to its end."""

    def __init__(
        self,
        scenario: Callable[[], object],
        chooser: Chooser,
        *,
        tracer: Tracer,
        under_test: CodeFilter,
        max_steps: int,
        watchdog: float,
        watch: Callable[[], tuple[str, ...]] | None = None,
        on_scenario_end: Callable[[], None] | None = None,
        outside_threads: int = 0,
        known_threads: frozenset[int] = frozenset(),
        pin: affinity.Pin | None = None,
    ) -> None:
        self.scenario = scenario
        self.chooser = chooser
        self.tracer = tracer
        self.under_test = under_test
        self.max_steps = max_steps
        self.watchdog = watchdog
        self.watch = watch
        self.on_scenario_end = on_scenario_end
        self.outside_threads = outside_threads  # threads the scenario did not start
        self.known_threads = known_threads  # idents of threads that were there before
        self.pin = pin  # how the controlled threads share one CPU (``affinity``)
        self.threads: list[ControlledThread] = []
        self.live: list[ControlledThread] = []
        self.by_ident: dict[int, ControlledThread] = {}
        self.current: ControlledThread | None = None
        self.step = 0
        #: A focused run's quiet locations, when this run makes its decisions at its steps
        #: (``races.core.focus``): their switch points are steps, where nothing is decided
        #: and which the chooser's count of steps leaves out.
        self.hidden: Quiet | None = None
        self.hidden_steps = 0
        self.clock = 0.0
        self.trace: list[tuple[Any, ...]] = []
        # What each step touched and how it synchronised, in the order it happened.
        self.events: list[Event] = []
        self.snapshots: list[tuple[str, ...]] = []
        self.decisions: list[Decision] = []
        self.failure: Failure | None = None
        #: Futures that ended in an exception, with the thread that ran their job: one
        #: nobody asked for (``result()``, ``exception()``) by the end lost its error.
        self.failed_futures: list[tuple[Any, str]] = []
        #: Blocking sleeps made on a thread that runs an asyncio event loop:
        #: (thread, seconds, where), told when the run fails for no other named cause.
        self.loop_blocks: list[tuple[str, float, diagnosis.Site | None]] = []
        self.over = False
        self.aborting = False
        self.stalled: str | None = None
        self.internal_error: BaseException | None = None
        self.lock_serial = 0
        self.cut = False
        self.lock_classes = LockClasses()
        self.counters: dict[str, int] = {}
        # (ident, join) of each OS thread the run started, for the session to join.
        self.os_joins: list[tuple[int | None, Callable[[float], bool]]] = []
        self.done = _allocate_lock()
        self.done.acquire()

    # ------------------------------------------------------------------ driver side

    def run(self) -> Outcome:
        """Run the scenario to its end; called on the thread that called ``explore``."""
        global active
        if active is not None:
            raise RuntimeError("races: an execution is already in progress")
        active = self
        try:
            root = self._new_thread(daemon=False)
            self.current = root
            try:
                self._make_root_thread(root)
                self._start_os_thread(root, self._root_body, ())
            except Exception as exc:
                raise InternalError("starting the scenario's thread", exc) from exc
            root.gate.release()
            self._wait_for_end()
        finally:
            with _signals_deferred():
                self._abort_all()
            active = None
        error = self.internal_error
        if error is not None:
            if isinstance(error, (RacesError, InternalError)):
                raise error
            raise InternalError("running a schedule", error) from error
        if self.failure is None and not self.cut and self.stalled is None:
            self.failure = diagnosis.unretrieved_future(self.failed_futures)
        if self.failure is not None and self.failure.pattern is None and self.loop_blocks:
            self.failure = diagnosis.blocked_loop(self.failure, self.loop_blocks)
        return Outcome(
            failure=self.failure,
            steps=self.step,
            decisions=self.decisions,
            trace=self.trace,
            thread_names=[t.name for t in self.threads],
            snapshots=self.snapshots,
            events=self.events,
            cut=self.cut,
        )

    def _wait_for_end(self) -> None:
        last: tuple[int, object] = (-1, None)
        since = _real_monotonic()
        looked = False
        while not self.done.acquire(timeout=0.05):
            # Progress is a new step, or the running thread's Python code moving on (a
            # long computation between steps is not a thread blocked in C code).
            now = (self.step, self._position())
            if now != last:
                last, since, looked = now, _real_monotonic(), False
                continue
            still = _real_monotonic() - since
            if still > REAL_LOCK_GRACE and not looked:
                # Blocked on a real lock that is held: by a thread races keeps stopped,
                # most likely, which will never release it. Say so now, not at the watchdog.
                looked = True
                wait = self._real_lock_wait()
                if wait is not None:
                    self.stalled = self._describe_real_lock_wait(wait)
                    return
            if still > self.watchdog:
                self.stalled = self._describe_stall()
                return

    def _running_frame(self) -> FrameType | None:
        """The running thread's innermost Python frame, or None."""
        rec = self.current
        return sys._current_frames().get(rec.ident) if rec and rec.ident else None

    def _position(self) -> object:
        """Where the running thread's innermost Python frame is, or None."""
        frame = self._running_frame()
        return None if frame is None else (id(frame), frame.f_lasti)

    def _real_lock_wait(self) -> real_locks.RealLockWait | None:
        frame = self._running_frame()
        if frame is None or is_races_internal(frame.f_code.co_filename):
            return None
        return real_locks.waited_for(frame)

    def _describe_real_lock_wait(self, wait: real_locks.RealLockWait) -> str:
        rec = self.current
        name = rec.name if rec else "a thread"
        owner = wait.owner
        holder = self.by_ident.get(owner) if owner is not None else None
        if holder is not None:
            held = f"held by {holder.name}, which races keeps stopped at a switch point"
        elif owner is not None:
            held = "held by a thread races does not control"
        else:
            held = "held (a Lock does not say by whom; a thread races keeps stopped, most likely)"
        born = wait.born()
        made = f"made at {born}" if born else "made before the exploration started"
        caller = self._call_site(wait)
        return (
            f"{name} waits for `{wait.expression}`, a real {wait.kind} {made}, {held}; it "
            f"waits in {wait.function} ({wait.where}){caller}. races swaps a real lock for a "
            "modelled one where the code it traces reads it from a shared place; this one "
            "was reached only by code races does not trace, or only as a local variable, "
            "so its holder, stopped by races, never gets to release it. Make "
            f"`{wait.expression}` inside the scenario, or trace the code that takes it "
            "(`include=`). races has stopped every other thread."
        )

    def _call_site(self, wait: real_locks.RealLockWait) -> str:
        """``, called from file:line``: the innermost frame of the code under test, if
        the wait is in code races does not trace."""
        frame = self._running_frame()
        while frame is not None and not self.under_test(frame.f_code):
            frame = frame.f_back
        if frame is None or f"{frame.f_code.co_filename}:{frame.f_lineno}" == wait.where:
            return ""
        return f", called from {frame.f_code.co_filename}:{frame.f_lineno}"

    def _describe_stall(self) -> str:
        rec = self.current
        frame = self._running_frame()
        where = "an unknown place"
        if frame is not None:
            where = f"{frame.f_code.co_qualname} ({frame.f_code.co_filename}:{frame.f_lineno})"
        name = rec.name if rec else "a thread"
        return (
            f"{name} has run for {self.watchdog:g} s without reaching a switch point; it is "
            f"probably blocked in a call races does not control, in {where}. Real locks "
            "created before the exploration and kept inside objects, sockets, subprocesses "
            "and C extensions that block cannot be scheduled: create the lock inside the "
            "scenario, or replace the blocking call with a fake. races has stopped every other "
            f"thread; {name} stays blocked until that call returns."
        )

    def _abort_all(self) -> None:
        """Unwind every thread still alive, one at a time, and wait for its OS thread."""
        self.aborting = True
        order = [t for t in self.threads if t is not self.current]
        if self.current is not None:
            # A thread stalled waiting for a real lock goes last: unwinding the others
            # releases the lock, which one of them holds most likely.
            order.insert(len(order) if self.stalled else 0, self.current)
        for rec in order:
            if rec.exited.acquire(False):
                rec.exited.release()
            else:
                try:
                    rec.gate.release()
                except RuntimeError:
                    pass  # already open: the thread is running and will see `aborting`
                if rec.exited.acquire(timeout=2.0):
                    rec.exited.release()
                # else: blocked outside our control (reported by `stalled`); the session's
                # join gives up on it and hands it to the error as a straggler.
            if rec.os_join is not None:
                # Its teardown overlaps the next run; the session joins it before it closes.
                self.os_joins.append((rec.ident, rec.os_join))
        self._forget_threads()

    def _forget_threads(self) -> None:
        """Remove what CPython's threading bookkeeping still knows of our threads."""
        import threading

        for rec in self.threads:
            if not rec.exited.locked():
                # It has ended. A frame of its stack, whose locals hold rec, would make the
                # run garbage for the collector, not for reference counting.
                rec.clean = None
            thread = rec.thread
            if thread is not None:
                threading._limbo.pop(thread, None)  # type: ignore[attr-defined]
                if rec.ident is not None and threading._active.get(rec.ident) is thread:  # type: ignore[attr-defined]
                    del threading._active[rec.ident]  # type: ignore[attr-defined]
            if rec.ident is not None:
                self.by_ident.pop(rec.ident, None)

    # ------------------------------------------------------------------ thread side

    def _new_thread(self, daemon: bool) -> ControlledThread:
        rec = ControlledThread(len(self.threads), daemon)
        self.threads.append(rec)
        self.live.append(rec)
        return rec

    def _start_os_thread(
        self, rec: ControlledThread, body: Callable[..., object], args: tuple[Any, ...]
    ) -> None:
        if _start_joinable_thread is not None:  # 3.13+
            handle = _start_joinable_thread(lambda: self._thread_main(rec, body, args), daemon=True)

            def join(timeout: float) -> bool:  # a negative timeout waits for good
                handle.join(None if timeout < 0 else timeout)
                return bool(handle.is_done())

            rec.os_join = join
        else:
            _start_new_thread(self._thread_main, (rec, body, args))

    def _thread_main(
        self, rec: ControlledThread, body: Callable[..., object], args: tuple[Any, ...]
    ) -> None:
        if _start_joinable_thread is None:
            # Released by the runtime when this thread's state is deleted (as Thread.join
            # relies on); a join that gets it gives it back, so joining twice works.
            assert _set_sentinel is not None
            sentinel = _set_sentinel()
            sentinel.acquire()

            def join(timeout: float) -> bool:
                if not sentinel.acquire(timeout=timeout):
                    return False
                sentinel.release()
                return True

            rec.os_join = join
        rec.ident = _get_ident()
        pin = self.pin
        if pin is not None and rec.index == 0:
            pin.first()  # the run's first thread picks the CPU
        elif pin is not None:
            pin.born()  # the others inherit it from the thread that starts them
        self.by_ident[rec.ident] = rec
        rec.gate.acquire()
        try:
            if not self.aborting:
                self.tracer.start_thread(self, rec)
                body(*args)
        except Abort:
            pass
        except BaseException as exc:  # noqa: BLE001 - an error in races itself
            if not self.aborting:
                self._internal(exc)
        finally:
            self.tracer.stop_thread()
            try:
                self._finish_point(rec)
            except Abort:
                pass  # the run is over: end the thread all the same
            rec.ended()
            try:
                self._thread_finished(rec)
            finally:
                # Before the OS thread ends: its ident may be reused by any new thread.
                self.by_ident.pop(rec.ident, None)
                affinity.ended(rec.ident)
                rec.exited.release()

    def _make_root_thread(self, root: ControlledThread) -> None:
        """The scenario's main thread: a real ``threading.Thread`` object, made here, by
        the caller's thread, on real primitives. Nobody waits for it to start or to end
        (joining the main thread is an error), so what its start and end synchronise with
        is nobody's business: made on a controlled thread, they would be a dozen modelled
        synchronisations in every run's log."""
        import threading

        thread = threading.Thread(target=self._run_scenario, name="MainThread", daemon=False)
        root.thread = thread
        _silence_abort(thread)
        threading._limbo[thread] = thread  # type: ignore[attr-defined]

    def _root_body(self) -> None:
        """Become the scenario's main thread."""
        self.threads[0].thread._bootstrap()

    def _run_scenario(self) -> None:
        try:
            self.scenario()
            if self.on_scenario_end is not None:
                self.on_scenario_end()
        except Abort:
            raise
        except AssertionError as exc:
            self.fail(FailureKind.ASSERTION, exc)
        except BaseException as exc:  # noqa: BLE001 - any exception fails the scenario
            self.fail(FailureKind.EXCEPTION, exc)

    def spawn(
        self,
        function: Callable[..., object],
        args: tuple[Any, ...],
        handle: Any = None,
        label: str = "",
    ) -> None:
        """Start a controlled thread (``threading``'s thread-start leaf calls this, and so
        does ``_thread.start_new_thread``, with a ``label`` since there is no Thread)."""
        if self.aborting:
            raise Abort
        owner = getattr(function, "__self__", None) if not label else None
        rec = self._new_thread(daemon=bool(getattr(owner, "daemon", True)))
        parent = self.me()
        if parent is not None:
            self.synced(parent, Sync("start", rec.index))
        rec.thread = owner
        rec.label = label
        _silence_abort(owner)
        self.attach_handle(rec, handle)
        try:
            self._start_os_thread(rec, function, args)
        except Exception as exc:  # noqa: BLE001 - out of threads is races' failure, not the scenario's
            self.threads.remove(rec)
            self.live.remove(rec)
            self._internal(InternalError("starting a controlled thread", exc))
            me = self.me()
            if me is not None:
                me.unwinding = True
            raise Abort from None

    def attach_handle(self, rec: ControlledThread, handle: Any) -> None:
        if handle is not None and hasattr(handle, "_start"):
            rec.handle = handle
            handle._start(rec)

    def me(self) -> ControlledThread | None:
        return self.by_ident.get(_get_ident())

    # ------------------------------------------------------------------ switching

    def switch_point(self, rec: ControlledThread, kind: int, a: Any, b: Any) -> None:
        """Called before each line or instruction of code under test: the hot path."""
        if rec.busy:
            return
        if self.aborting:
            self._abort(rec)
            return
        self.step += 1
        if self.step > self.max_steps:
            self._step_limit(rec)
        ended = rec.last_step
        rec.last_step = len(self.trace)
        self.trace.append((rec.index, kind, a, b))
        rec.steps += 1
        unseen = self.tracer.recording and self._unseen(rec, ended)
        if self.watch is not None:
            rec.busy = True
            self.snapshots.append(self.watch())
            rec.busy = False
        hidden = self.hidden
        quiet = hidden is not None and kind == INSTRUCTION and b in hidden.get(id(a), ())
        if quiet:
            self.hidden_steps += 1
        if len(self.live) == 1:
            return
        if not quiet:
            nxt = self._choose(rec, current_enabled=True)
            if nxt is not rec and nxt is not None:
                self._handoff(rec, nxt)
        if unseen:  # the step that starts here, now that it runs: after the decision
            self.unseen_code(rec)

    def accessed(self, rec: ControlledThread, frame: FrameType, offset: int) -> None:
        """The instruction at ``offset`` is about to run in ``rec``: log what it touches."""
        if rec.busy or self.aborting or not self.tracer.recording:
            return
        rec.busy = True  # reading values may run a key's __hash__: no switch points in it
        try:
            touched = ACCESSES.accesses(frame, offset)
        finally:
            rec.busy = False
        if not self.tracer.switching:
            # No switch points: each instruction that touches shared data is a step.
            self.step += 1
            if self.step > self.max_steps:
                self._step_limit(rec)
            rec.last_step = len(self.trace)
            self.trace.append((rec.index, INSTRUCTION, frame.f_code, offset))
            rec.steps += 1
        log_touched(self.events, rec.index, rec.last_step, touched, frame, offset)

    def _unseen(self, rec: ControlledThread, ended: int) -> bool:
        """Where ``rec``'s stack runs standard-library code whose reads and writes races
        does not see (an asyncio loop's internals), the step that ended here and the one
        that starts here may touch anything: mark the first opaque, and say whether the
        second is, for the caller to mark once ``rec`` runs it. (Marked now, it would be
        logged before the decision that lets it run, apart from the step it belongs to,
        and no proof would reverse it.)"""
        if len(self.live) == 1 or rec.described:
            return False  # alone, nothing it touches can race (nor before another starts)
        if not self._stack_hides_state(rec, sys._getframe(2)):
            return False
        if ended >= 0 and rec.opaque_at != ended:
            self.events.append((rec.index, ended, OPAQUE_STEP, None))
        return True

    @staticmethod
    def _stack_hides_state(rec: ControlledThread, frame: FrameType) -> bool:
        """Whether a frame of the stack runs code that ``hides_state``, walking only down
        to a frame known clean with its callers (a frame's callers never change): between
        two switch points of one function, nothing is walked."""
        # ``frame`` is races' own (the tracer's, a model's); the one it serves is next.
        served = frame.f_back
        if served is not None and served is rec.clean:
            return False  # the same frame as last time, its callers known clean
        f: FrameType | None = frame
        while f is not None and f is not rec.clean:
            if hidden(f.f_code):
                return True
            f = f.f_back
        rec.clean = served
        return False

    def unseen_code(self, rec: ControlledThread) -> None:
        """``rec`` runs code that ``hides_state`` (the tracer saw it called): its step
        may touch anything."""
        step = rec.last_step
        if step >= 0 and rec.opaque_at != step and not rec.described and not self.aborting:
            rec.opaque_at = step
            self.events.append((rec.index, step, OPAQUE_STEP, None))

    def called_back(self, rec: ControlledThread, frame: FrameType) -> None:
        """``frame``, code under test, was just called from code races does not trace."""
        code = frame.f_code
        self.stop_if_real_lock_held(
            rec,
            frame.f_back,
            f"runs {code.co_qualname} ({code.co_filename}:{frame.f_lineno}), called back from",
        )

    def stop_if_real_lock_held(
        self, rec: ControlledThread, frame: FrameType | None, doing: str
    ) -> None:
        """``rec`` is at a switch point with ``frame`` and its callers, down to the code
        under test, in code races does not trace; ``doing`` says where, in words that end
        before the name of the function that holds a lock.

        When an excluded package's frame there (code races would trace by default) holds
        a real lock, races cannot control that lock: a thread that waited for it while
        ``rec`` is stopped here would block where the scheduler cannot see, and a search
        that never stops ``rec`` here would report a pass by luck. The run stops at once,
        in any strategy's first run that gets here.
        """
        if rec.busy or self.aborting or len(self.live) == 1:
            return  # alone, nobody can wait for the lock yet
        f = frame
        while f is not None and not self.under_test(f.f_code):
            if TRACED_BY_DEFAULT(f.f_code):
                held = real_locks.held_around(f)
                if held is not None:
                    self.give_up(UncontrolledBlockingError(self._describe_held(rec, doing, held)))
                    return
            f = f.f_back

    def _describe_held(
        self, rec: ControlledThread, doing: str, held: real_locks.RealLockWait
    ) -> str:
        born = held.born()
        made = f"made at {born}" if born else "made before the exploration started"
        return (
            f"{rec.name} {doing} {held.function} ({held.where}) while "
            f"that holds `{held.expression}`, a real {held.kind} {made}. races does not "
            "control that lock: a thread that waited for it while races kept "
            f"{rec.name} stopped here would block where the scheduler cannot see, and a "
            f"search that never stopped {rec.name} here would pass by luck. Keep "
            f"`{held.expression}` where the session's start finds it (an attribute of the "
            "excluded package's modules, classes, or objects made at import, or a small "
            "table), make it inside the scenario, or trace the package (`include=`)."
        )

    def synced(self, rec: ControlledThread, sync: Sync) -> None:
        """``rec`` synchronised (a lock taken or given back, a thread started)."""
        self.events.append((rec.index, rec.last_step, sync, None))

    def _handoff(self, me: ControlledThread, nxt: ControlledThread) -> None:
        self.current = nxt
        nxt.gate.release()
        me.gate.acquire()
        if self.aborting:
            self._abort(me)

    @staticmethod
    def _abort(rec: ControlledThread) -> None:
        """Unwind ``rec`` once; while it unwinds its cleanup code runs without switch points."""
        if not rec.unwinding:
            rec.unwinding = True
            raise Abort

    def _choose(self, rec: ControlledThread, current_enabled: bool) -> ControlledThread | None:
        try:
            enabled = self._enabled()
            if not enabled and self._advance_clock():
                enabled = self._enabled()
            if not enabled:
                return None
            if len(enabled) == 1:
                return enabled[0]
            indexes = [t.index for t in enabled]
            current = rec.index if current_enabled else None
            step = self.step - self.hidden_steps
            chosen = self.chooser.choose(step, indexes, current, (rec.index, rec.steps))
            if chosen not in indexes and chosen != CUT:
                raise RuntimeError(f"races: chooser picked thread {chosen}, not one of {indexes}")
        except Exception as exc:  # noqa: BLE001 - handed to the caller of explore()
            # A diverging replay, a broken strategy, a thread races cannot see: never let
            # user code see it.
            self._internal(exc)
            rec.unwinding = True
            raise Abort from None
        if chosen == CUT:  # the rest of the run would repeat runs already made
            self.cut = True
            self._end_run()
            rec.unwinding = True
            raise Abort
        default = current if current is not None else indexes[0]
        preemption = current is not None and chosen != current
        self.decisions.append(
            Decision(self.step, chosen, default, preemption, (rec.index, rec.steps))
        )
        return self.threads[chosen]

    def _enabled(self) -> list[ControlledThread]:
        """``[t for t in live if t.enabled()]``, inlined: it runs at every switch point, over
        every live thread, and a method call per thread made it the cost of a 100-thread run."""
        runnable = State.RUNNABLE
        return [
            t
            for t in self.live
            if t.state is runnable
            or t.timed_out
            or (t.waiting_for is not None and not t.waiting_for.locked())
        ]

    def _advance_clock(self) -> bool:
        """Nobody can run: let the outside world answer, or jump virtual time to the
        earliest deadline. True when that enabled a thread."""
        deadlines = [
            t.deadline for t in self.live if t.state is State.BLOCKED and t.deadline is not None
        ]
        if self._wait_for_io(IO_GRACE if deadlines else 0.8 * self.watchdog):
            return True
        if not deadlines:
            return False
        strangers = self._uncontrolled_threads()
        if strangers:
            what = "; ".join(strangers)
            raise UncontrolledThreadError(
                f"virtual time would jump {min(deadlines) - self.clock:g} s ahead, because "
                "every thread races controls is waiting, but "
                f"{'these threads' if len(strangers) > 1 else 'this thread'} started during "
                f"the exploration {'are' if len(strangers) > 1 else 'is'} not controlled by "
                f"races: {what}. It may be about to do what the others wait "
                "for, and only real time would tell. Start threads with threading or _thread "
                "from the scenario (races controls those), or join them before waiting"
            )
        self.clock = max(self.clock, min(deadlines))
        for t in self.live:
            if t.state is State.BLOCKED and t.deadline is not None and t.deadline <= self.clock:
                t.timed_out = True
        return True

    def _wait_for_io(self, seconds: float) -> bool:
        """Wait in real time, up to ``seconds``, for a thread blocked on outside I/O (a
        socket, a pipe) to become ready: only the outside world can wake it, and a real
        program would wait for it before any timeout fired. True if one is ready."""
        waiting = [t.waiting_for for t in self.live if getattr(t.waiting_for, "external", False)]
        if not waiting:
            return False
        deadline = _real_monotonic() + seconds
        while True:
            if any(wait is not None and not wait.locked() for wait in waiting):
                return True
            if _real_monotonic() >= deadline:
                return False
            _real_sleep(0.001)

    def _uncontrolled_threads(self) -> list[str]:
        """Threads alive now that races neither started nor found running before.

        Counted, because a thread that has just been started has no Python frame yet;
        named from the frames of those that have one. Our own threads may be exiting (the
        count drops a moment before their join returns), so the count errs towards none.
        """
        import threading

        me = _get_ident()
        ours = [t for t in self.threads if t.ident == me or t.os_join is None or not t.os_join(0)]
        extra = _real_count() - self.outside_threads - len(ours)
        if extra <= 0:
            return []
        known = self.known_threads | {t.ident for t in self.threads}
        names = threading._active  # type: ignore[attr-defined]
        found = []
        for ident, frame in sys._current_frames().items():
            if ident not in known:
                thread = names.get(ident)
                name = thread.name if thread is not None else f"thread {ident}"
                shown: Any = frame
                while shown.f_back is not None and is_races_internal(shown.f_code.co_filename):
                    shown = shown.f_back  # where the thread is in its own code
                code = shown.f_code
                found.append(f"{name} in {code.co_qualname} ({code.co_filename}:{shown.f_lineno})")
        unnamed = extra - len(found)
        if unnamed > 0:
            found.append(f"{unnamed} thread(s) that have not run Python code yet")
        return found

    # ------------------------------------------------------------------ blocking

    def block(
        self,
        rec: ControlledThread,
        lock: Any,
        timeout: float | None,
        op: str,
        site: tuple[str, int] | None,
    ) -> bool:
        """Park ``rec`` until ``lock`` is free or ``timeout`` virtual seconds pass.

        ``lock`` None means only time can wake it (``sleep``). Returns False on timeout.
        """
        if self.aborting:
            rec.unwinding = True
            raise Abort  # a thread that is unwinding cannot wait for anyone
        rec.busy = True
        try:
            rec.state = State.BLOCKED
            rec.waiting_for = lock
            rec.deadline = None if timeout is None else self._deadline(timeout)
            rec.blocked_op, rec.blocked_site = op, site
            self.step += 1
            if self.step > self.max_steps:
                self._step_limit(rec)
            ended = rec.last_step
            rec.last_step = len(self.trace)
            if self.tracer.recording:
                self._unseen(rec, ended)
            if lock is None:
                self.trace.append((rec.index, SLEEP, timeout, site))
            else:
                self.trace.append((rec.index, BLOCK, op, site))
            rec.steps += 1
            if self.watch is not None:
                self.snapshots.append(self.watch())
            nxt = self._choose(rec, current_enabled=False)
            if nxt is None:
                self._nobody_can_run()
                rec.unwinding = True
                raise Abort
        finally:
            rec.busy = False
        if nxt is not rec:
            self._handoff(rec, nxt)
        # What it does from here on (taking the lock it waited for) happens now, in the
        # step it takes next, not in the step that blocked, before the others ran.
        woke = rec.last_step
        rec.last_step = len(self.trace)
        if self.tracer.recording and self._unseen(rec, woke):
            self.unseen_code(rec)
        timed_out = rec.timed_out
        rec.state = State.RUNNABLE
        rec.waiting_for = None
        rec.deadline = None
        rec.timed_out = False
        return not timed_out

    def _deadline(self, timeout: float) -> float:
        """``clock + timeout``, rounded up so that ``deadline - clock >= timeout`` holds:
        a real sleep never comes back early, so a virtual one must not either."""
        deadline = self.clock + timeout
        while deadline - self.clock < timeout:
            deadline = math.nextafter(deadline, math.inf)
        return deadline

    def _finish_point(self, rec: ControlledThread) -> None:
        """The thread's end is a step of its own, and a switch point before it: what waits
        for the end (a join, ``is_alive()``) may run before it, as on real threads, where
        another thread can run between a thread's last line and its end."""
        if self.over or self.aborting:
            return
        rec.busy = True
        self.step += 1
        rec.last_step = len(self.trace)
        self.trace.append((rec.index, FINISH, None, None))
        rec.steps += 1
        if self.watch is not None:
            self.snapshots.append(self.watch())
        if len(self.live) > 1:
            nxt = self._choose(rec, current_enabled=True)
            if nxt is not rec and nxt is not None:
                self._handoff(rec, nxt)

    def _thread_finished(self, rec: ControlledThread) -> None:
        rec.state = State.FINISHED
        if rec in self.live:
            self.live.remove(rec)
        if self.over or self.aborting:
            return
        root = self.threads[0]
        if root.state is State.FINISHED and all(t.daemon for t in self.live):
            self._end_run()  # the interpreter would exit here, abandoning daemon threads
            return
        rec.busy = True
        self.step += 1  # a decision of its own: who runs now that this thread has gone
        try:
            nxt = self._choose(rec, current_enabled=False)
        except Abort:
            return  # races itself failed; the run is over
        if nxt is None:
            self._nobody_can_run()
            return
        self.current = nxt
        nxt.gate.release()

    # ------------------------------------------------------------------ run end

    def fail(
        self,
        kind: FailureKind,
        exc: BaseException | None,
        message: str | None = None,
        report: str = "",
        pattern: str | None = None,
    ) -> None:
        """Record the run's failure, end it, and unwind the calling thread."""
        if exc is not None and raised_by_races(exc):  # a slip of races, in the program's run
            self._internal(InternalError("running the scenario", exc))
        if not self.over:
            rec = self.me()
            self.failure = Failure(
                kind=kind,
                message=message if message is not None else describe(exc),
                exception=exc,
                thread=rec.name if rec is not None else None,
                report=report,
                pattern=pattern,
            )
            self._end_run()
        rec = self.me()
        if rec is not None:
            rec.unwinding = True
        raise Abort

    def _step_limit(self, rec: ControlledThread) -> None:
        limit = diagnosis.step_limit(self.max_steps, causes=" (a livelock or an infinite loop)")
        self.fail(limit.kind, None, message=limit.message)

    def _nobody_can_run(self) -> None:
        ended = [t for t in self.threads if t.state is State.FINISHED]
        self.failure = deadlock.analyse(self.live, self.threads[0], self.under_test, ended)
        self._end_run()

    def _end_run(self) -> None:
        if not self.over:
            self.over = True
            self.aborting = True  # from now on every thread only unwinds
            self.done.release()

    def give_up(self, error: RacesError) -> None:
        """The run cannot go on under races' control: end it, and have ``run`` raise
        ``error`` to the caller (a verdict on the scenario would be luck)."""
        self._internal(error)

    def _internal(self, exc: BaseException) -> None:
        """races itself failed: end the run, and have ``run`` raise it to the caller."""
        if self.internal_error is None:
            self.internal_error = exc
        self._end_run()

    def next_lock_serial(self) -> int:
        self.lock_serial += 1
        return self.lock_serial


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGALRM back from the main thread while a run's threads unwind:
    Ctrl-C or a test runner's timeout (pytest-timeout's signal method) raising in the
    middle of it would leave threads parked for good, and the process could not exit.
    The signal is handled as soon as the unwinding is done. (Only the main thread runs
    Python's signal handlers; in another thread the mask changes nothing that matters.)"""
    previous = _pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        _pthread_sigmask(signal.SIG_SETMASK, previous)


# ``signal.pthread_sigmask`` turns each signal of the old mask into an enum member, twice
# at every run's end; the C function's set of numbers does as well here.
_pthread_sigmask: Callable[[int, set[int]], set[int]] = _signal.pthread_sigmask
_HELD = {int(signal.SIGINT), int(signal.SIGALRM)}


def _silence_abort(thread: Any) -> None:
    """Keep ``Abort`` from the thread's excepthook, whichever hook is installed by then."""
    invoke = getattr(thread, "_invoke_excepthook", None)
    if invoke is None:
        return

    def invoke_excepthook(thread: Any) -> None:
        if not isinstance(sys.exc_info()[1], Abort):
            invoke(thread)

    thread._invoke_excepthook = invoke_excepthook


def controlled() -> tuple[Execution, ControlledThread] | None:
    """The execution and thread record of the caller, if it is a controlled thread."""
    ex = active
    if ex is None:
        return None
    rec = ex.by_ident.get(_get_ident())
    if rec is None:
        return None
    return ex, rec
