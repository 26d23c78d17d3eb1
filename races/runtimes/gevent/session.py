"""Sessions for greenlet scenarios: each run gets a fresh gevent hub on a controlled loop.

A greenlet scenario is a plain function, run as gevent runs a program: in the main
greenlet, with ``gevent.monkey.patch_all()`` already applied, so ``time.sleep``, sockets
and ``threading`` switch greenlets. Patching is for the whole process and cannot be
undone, so this module only ever runs in a child process that ``races.runtimes.gevent.child``
starts; ``explore`` and ``replay`` send greenlet scenarios there.

A run ends as a gevent program does: the main greenlet returns, or raises, or blocks
with nothing left to wake it (gevent's ``LoopExit``; ``waits`` tells why: greenlets in a
deadlock cycle, a lock or queued work that a greenlet now ended left behind, or greenlets
stuck with nothing to wake them, each at its wait site). Then, as for asyncio tasks, a greenlet still alive has
lost its work, and one that died of an exception nobody saw has lost its error: both fail
the run. Whatever is left is killed and the hub destroyed before the next run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import gevent
import gevent.hub
import greenlet
from gevent._hub_local import set_hub

from races.core import diagnosis
from races.core.codefilter import CodeFilter
from races.core.diagnosis import Waiter
from races.core.runtime import check_session
from races.core.strategies.base import Chooser
from races.runtimes.gevent.accesses import GreenletAccesses
from races.runtimes.gevent.loop import ControlledGeventLoop
from races.runtimes.gevent.waits import Hold, Waits
from races.vocabulary.errors import NestedExplorationError
from races.vocabulary.kinds import StepKind
from races.vocabulary.outcome import Failure, Outcome, scenario_failure


class _Hub(gevent.hub.Hub):  # type: ignore[misc]
    """A hub that records errors in greenlets instead of printing them."""

    def __init__(self, loop: ControlledGeventLoop) -> None:
        super().__init__(loop=loop)
        self.errors: list[tuple[Any, BaseException]] = []

    def handle_error(self, context: Any, type: Any, value: Any, tb: Any) -> None:
        type, value, tb = self._normalize_exception(type, value, tb)
        if isinstance(value, (gevent.hub.HubDestroyed, *self.SYSTEM_ERROR)):
            super().handle_error(context, type, value, tb)
        elif not isinstance(value, self.NOT_ERROR):
            self.errors.append((context, value.with_traceback(tb)))


class GreenletSession:
    """Runs a function in the main greenlet under the scheduler, once per chooser."""

    _current: GreenletSession | None = None
    _loop: ControlledGeventLoop | None = None

    @classmethod
    def progress(cls) -> tuple[int, int, int]:
        """Changes whenever a greenlet switches: what the child's watchdog looks at."""
        session, loop = cls._current, cls._loop
        return (id(session), session.runs if session else 0, loop.step if loop else 0)

    def __init__(
        self, scenario: Callable[[], object], *, max_steps: int = 50_000, watchdog: float = 10.0
    ) -> None:
        check_session(scenario, max_steps)
        self.scenario = scenario
        self.max_steps = max_steps
        self.watchdog = watchdog
        self.runs = 0
        self.recording = True
        self.points = "greenlet"
        # gevent itself is the runtime here, not the code under test.
        self.under_test = CodeFilter(exclude=("gevent", "greenlet"))
        self.waits = Waits(self.under_test)

    def __enter__(self) -> GreenletSession:
        if gevent.hub._get_hub() is not None and gevent.getcurrent().parent is not None:
            raise NestedExplorationError(
                "races.explore() of greenlets must run in the main greenlet, not inside one"
            )
        self._random_state = random.getstate()
        self._trace = greenlet.gettrace()
        GreenletSession._current = self
        self.waits.install()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.waits.uninstall()
        GreenletSession._current = GreenletSession._loop = None
        greenlet.settrace(self._trace)
        random.setstate(self._random_state)

    def run(self, chooser: Chooser, watch: Callable[[], tuple[str, ...]] | None = None) -> Outcome:
        random.seed(0)
        self.waits.clear()
        # Waiting for I/O ends (the run is stuck) before the child's watchdog would fire.
        loop = ControlledGeventLoop(chooser, self.max_steps, watch, io_wait=0.8 * self.watchdog)
        hub = _Hub(loop)
        loop.hub = hub
        GreenletSession._loop = loop
        main = greenlet.getcurrent()
        loop.register(main, "main")
        set_hub(hub)
        loop.trace.append((0, StepKind.WAIT, *loop.start(0, self.scenario)))
        loop.step = 1
        if watch is not None:
            loop.snapshots.append(watch())
        failure: Failure | None = None
        # Why nobody can run is read when the loop finds it, before the main greenlet's
        # LoopExit unwinds its stack (and its `with` blocks release their locks).
        stuck: list[Failure] = []
        loop.on_stuck = lambda: stuck.append(_nobody_can_run(loop, self.waits))
        previous = greenlet.settrace(loop.on_switch)
        recorder = GreenletAccesses(loop, self.under_test) if self.recording else None
        try:
            if recorder is not None:
                recorder.install()
            try:
                self.scenario()
            except gevent.hub.LoopExit as exc:
                failure = stuck[-1] if stuck and loop.stop_reason is None else None
                if failure is None:
                    failure = diagnosis.step_limit(self.max_steps, "greenlet steps")
                elif failure.pattern == "missed signal":
                    failure.exception = exc
            except Exception as exc:  # noqa: BLE001 - any exception fails the scenario
                failure = scenario_failure(exc)
            cut = loop.stop_reason == "cut"
            if cut:
                failure = None  # cut short on purpose: what ran is not a verdict
            elif failure is None and loop.stop_reason is not None:
                failure = diagnosis.step_limit(self.max_steps, "greenlet steps")
            if failure is None and not cut:
                failure = _lost_exception(hub)
            if failure is None and not cut:
                failure = _lost_work(loop)
            names = [g._races_name for g in loop.greenlets]
            outcome = loop.outcome(failure, names, loop.events, cut)
        finally:
            if recorder is not None:
                recorder.uninstall()
            greenlet.settrace(previous)
            _shut_down(loop, hub)
        self.runs += 1
        return outcome


def _waiter(loop: ControlledGeventLoop, number: int) -> Waiter:
    """Greenlet ``number`` as a report shows it: where it waits."""
    name = loop.greenlets[number]._races_name
    if number not in loop.sites:
        return Waiter(name, place="its start (it never ran)")
    code, lineno = loop.sites[number]
    if code is None:
        return Waiter(name, place="(inside gevent)")
    return Waiter(name, site=(code.co_filename, lineno))


def _nobody_can_run(loop: ControlledGeventLoop, waits: Waits) -> Failure:
    """Why no greenlet can run: greenlets waiting for each other's locks, a lock or queued
    work that a greenlet now ended kept, or greenlets stuck with nothing to wake them."""
    waiting = [n for n, g in enumerate(loop.greenlets) if n == 0 or not g.dead]
    waiters = {n: _waiter(loop, n) for n in waiting}
    edges: dict[int, int] = {}
    ended: list[tuple[int, Hold]] = []  # (waiting greenlet, the ended one's hold)
    scopes = waits.scopes([loop.greenlets[n] for n in waiting])
    for n in waiting:
        lock, operation = waits.waiting.get(loop.greenlets[n], (None, ""))
        if lock is None:
            continue
        waiters[n].waits_in = operation
        waiters[n].waits_for = waits.label(lock, scopes)
        hold = waits.holds.get(id(lock))
        holder = loop.number(hold.greenlet) if hold is not None else None
        if hold is None or holder is None:
            continue
        if holder == n:
            return diagnosis.self_deadlock(waiters[n], _REENTRY_HINT)
        if holder in waiters:
            edges[n] = holder
            waiters[n].holder = waiters[holder]
        elif hold.greenlet.dead:
            ended.append((n, hold))
    cycle = diagnosis.find_cycle(edges, order=waiting)
    if cycle:
        return diagnosis.deadlock([waiters[n] for n in cycle], "greenlets")
    if ended:
        n, hold = ended[0]
        waiters[n].holder_site = hold.site
        return diagnosis.leaked_lock(waiters[n], hold.greenlet._races_name)
    first = waiters[0]
    left = waits.work_left(scopes)
    if left:
        gone = [
            g._races_name for g, queues in waits.served.items() if g.dead and queues & left.keys()
        ]
        named = list(left.values())
        return diagnosis.leaked_work(list(waiters.values()), first, named, gone, "greenlets")
    failure = diagnosis.stuck(
        list(waiters.values()),
        first,
        "greenlets",
        " (gevent: this operation would block forever)",
    )
    failure.thread = "main"
    return failure


_REENTRY_HINT = (
    "a Semaphore or Lock is not re-entrant; take it once, or use gevent.lock.RLock "
    "(threading.RLock) where the code re-enters"
)


def _lost_exception(hub: _Hub) -> Failure | None:
    if not hub.errors:
        return None
    context, error = hub.errors[0]
    name = getattr(context, "_races_name", None) or getattr(context, "__qualname__", repr(context))
    return diagnosis.lost_exception(error, str(name), "gevent only prints it, the program goes on")


def _lost_work(loop: ControlledGeventLoop) -> Failure | None:
    alive = [n for n, g in enumerate(loop.greenlets) if n > 0 and not g.dead]
    if not alive:
        return None
    return diagnosis.lost_work(
        [_waiter(loop, n) for n in alive],
        "alive when the main greenlet returned",
        "the program exits and its work is lost",
        was="was",
    )


def _shut_down(loop: ControlledGeventLoop, hub: _Hub) -> None:
    """Kill what is left in FIFO order, then destroy the hub and its loop."""
    loop.wind_down()
    loop.stop_reason = None
    alive = [g for g in loop.greenlets[1:] if not g.dead]
    try:
        if alive:
            gevent.killall([g for g in alive if isinstance(g, gevent.Greenlet)], block=True)
        for g in alive:
            if not g.dead:
                g.throw(greenlet.GreenletExit)
    except (gevent.hub.LoopExit, greenlet.error):
        pass
    hub.destroy(destroy_loop=True)
    set_hub(None)
