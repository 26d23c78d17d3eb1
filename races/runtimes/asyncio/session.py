"""Sessions for coroutine scenarios: each run is a fresh ``ControlledLoop``.

``explore`` hands a coroutine function here instead of to ``Session``; the strategies,
minimisation and reports are shared. A run mirrors ``asyncio.run``: the scenario runs as
the main task; when it returns, tasks still pending are cancelled and the loop is closed.
A task that is still pending at that point lost its work, and a task whose exception was
never retrieved lost its error: both are failures, as they are silent in a real program.

Ownership of ``asyncio.Lock`` is not recorded by asyncio, so while exploring, ``acquire``
notes its owner: that is what lets a deadlock report name the cycle.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import os
import random
from collections.abc import Callable, Coroutine
from typing import Any

from races.core import diagnosis
from races.core.access import ACCESSES
from races.core.codefilter import CodeFilter
from races.core.diagnosis import Waiter
from races.core.runtime import EXPLORING, check_session
from races.core.sites import raised_by_races
from races.core.steps import RunCut
from races.core.strategies.base import Chooser
from races.runtimes.asyncio.accesses import TaskAccesses
from races.runtimes.asyncio.loop import ControlledLoop, NothingToRun, StepLimit
from races.vocabulary.errors import InternalError, NestedExplorationError
from races.vocabulary.outcome import Failure, Outcome, scenario_failure

_ORIGINAL_ACQUIRE = asyncio.Lock.acquire
_ORIGINAL_RELEASE = asyncio.Lock.release


async def _acquire(self: asyncio.Lock) -> bool:
    result = await _ORIGINAL_ACQUIRE(self)
    self._races_owner = asyncio.current_task()  # type: ignore[attr-defined]
    return result


def _release(self: asyncio.Lock) -> None:
    self._races_owner = None  # type: ignore[attr-defined]
    _ORIGINAL_RELEASE(self)


# Each queue class's own ``_get``, wrapped to note which task took from which queue: a
# run where every task waits names the work that tasks now ended left behind.
_QUEUE_GETS = {
    klass: klass.__dict__["_get"]
    for klass in (asyncio.Queue, asyncio.LifoQueue, asyncio.PriorityQueue)
}


def _served(real: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def _get(self: Any) -> Any:
        task = asyncio.current_task()
        loop = task.get_loop() if task is not None else None
        if isinstance(loop, ControlledLoop):
            loop.served.setdefault(task, set()).add(id(self))
        return real(self)

    return _get


class AsyncSession:
    """Runs a coroutine function under the scheduler, once per chooser."""

    def __init__(
        self,
        scenario: Callable[[], Coroutine[Any, Any, Any]],
        *,
        max_steps: int = 50_000,
        watchdog: float = 10.0,
    ) -> None:
        check_session(scenario, max_steps)
        self.scenario = scenario
        self.max_steps = max_steps
        self.watchdog = watchdog
        self.runs = 0
        self.recording = True
        self.points = "await"
        self.under_test = CodeFilter()

    def __enter__(self) -> AsyncSession:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise NestedExplorationError(
                "races.explore() of a coroutine needs its own event loop; call it from "
                "synchronous code, not from inside a running event loop"
            )
        EXPLORING.enter()
        self._random_state = random.getstate()
        self._counter = asyncio.tasks._task_name_counter  # type: ignore[attr-defined]
        asyncio.Lock.acquire = _acquire  # type: ignore[method-assign, assignment]
        asyncio.Lock.release = _release  # type: ignore[method-assign]
        for klass, real in _QUEUE_GETS.items():
            klass._get = _served(real)  # type: ignore[method-assign, assignment]
        ACCESSES.ordered = ("asyncio/",)  # tasks step one at a time: its state is ours
        return self

    def __exit__(self, *exc_info: object) -> None:
        ACCESSES.ordered = ()
        asyncio.Lock.acquire = _ORIGINAL_ACQUIRE  # type: ignore[method-assign]
        asyncio.Lock.release = _ORIGINAL_RELEASE  # type: ignore[method-assign]
        for klass, real in _QUEUE_GETS.items():
            klass._get = real  # type: ignore[method-assign]
        asyncio.tasks._task_name_counter = self._counter  # type: ignore[attr-defined]
        random.setstate(self._random_state)
        asyncio.set_event_loop(None)
        EXPLORING.leave()

    def run(self, chooser: Chooser, watch: Callable[[], tuple[str, ...]] | None = None) -> Outcome:
        random.seed(0)
        asyncio.tasks._task_name_counter = itertools.count(1).__next__  # type: ignore[attr-defined]
        loop = ControlledLoop(chooser, self.max_steps, watch, self.watchdog)
        asyncio.set_event_loop(loop)
        failure: Failure | None = None
        cut = False
        try:
            main = loop.create_task(self.scenario(), name="main")
            recorder = TaskAccesses(loop, self.under_test) if self.recording else None
            try:
                if recorder is not None:
                    recorder.install()
                loop.run_until_complete(main)
            except NothingToRun:
                failure = _nobody_can_run(loop)
            except StepLimit:
                failure = diagnosis.step_limit(self.max_steps, "task steps")
            except RunCut:
                cut = True
            except Exception as exc:  # any exception fails the scenario
                if raised_by_races(exc):  # but a slip of races' own is races' failure
                    raise InternalError("running the scenario", exc) from exc
                failure = scenario_failure(exc)
            finally:
                if recorder is not None:
                    recorder.uninstall()
            if failure is None and not cut:
                failure = _lost_work(loop)
            if failure is None and not cut:
                failure = _lost_exception(loop)
            names = [task_label(t) for t in loop.tasks]
            outcome = loop.outcome(failure, names, loop.events, cut)
        finally:
            _shut_down(loop)
            asyncio.set_event_loop(None)
        self.runs += 1
        return outcome


def _waiter(task: Any) -> Waiter:
    """The task as a report shows it: where it is suspended, innermost first, in what."""
    coro = task.get_coro()
    if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
        return Waiter(task_label(task), place=f"{coro.__name__}() never ran", started=False)
    operation, site = "await", None
    while coro is not None:
        frame = getattr(coro, "cr_frame", None)
        if frame is None:  # waiting on a future: the task knows which one
            waited = type(getattr(task, "_fut_waiter", None)).__name__
            operation = _FUTURES.get(waited, f"await {waited}")
            break
        code = frame.f_code
        if code.co_filename.startswith(_ASYNCIO_DIR):
            operation = code.co_qualname
            if operation.endswith("__aenter__"):  # `async with lock:` is an acquire
                operation = f"{type(frame.f_locals.get('self')).__name__}.acquire"
            break
        if not code.co_filename.startswith(_RACES_DIR):  # not races' own wrappers
            site = (code.co_filename, frame.f_lineno)
        coro = getattr(coro, "cr_await", None)
    return Waiter(task_label(task), operation, site, place="its start: it never ran")


def task_label(task: Any) -> str:
    """A task as reports name it: asyncio's name, and the coroutine it runs when the name
    is asyncio's own (``Task-2 (save)``), as CPython names a thread after its target."""
    name: str = task.get_name()
    coro = task.get_coro()
    if name.startswith("Task-") and coro is not None:
        return f"{name} ({getattr(coro, '__name__', '?')})"
    return name


_ASYNCIO_DIR = asyncio.__path__[0]
_RACES_DIR = os.path.dirname(__file__)  # this runtime's own wrappers (accesses.py)
_FUTURES = {
    "_GatheringFuture": "asyncio.gather",
    "Task": "a task",
    "_PyTask": "a task",
    "Future": "a future",
}


def _waited_lock(task: Any) -> Any:
    coro = task.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None)
        if frame is not None and frame.f_code is _ORIGINAL_ACQUIRE.__code__:
            return frame.f_locals.get("self")
        coro = getattr(coro, "cr_await", None)
    return None


def _nobody_can_run(loop: ControlledLoop) -> Failure:
    waiting = [t for t in loop.tasks if not t.done()]
    waiters = {t: _waiter(t) for t in waiting}
    edges = {}
    ended: list[tuple[Any, Any]] = []  # (waiting task, the finished task that holds its lock)
    for t in waiting:
        lock = _waited_lock(t)
        owner = getattr(lock, "_races_owner", None)
        if owner is not None and owner is not t and not owner.done():
            edges[t] = owner
            waiters[t].holder = waiters[owner]
        elif owner is not None and owner.done():
            waiters[t].waits_for = f"an asyncio.{type(lock).__name__}"
            ended.append((t, owner))
    cycle = diagnosis.find_cycle(edges, order=loop.tasks)
    if cycle:
        return diagnosis.deadlock([waiters[t] for t in cycle], "tasks")
    if ended:
        t, owner = ended[0]
        return diagnosis.leaked_lock(waiters[t], task_label(owner))
    left = _work_left(loop, waiting)
    if left:
        gone = [task_label(t) for t, ids in loop.served.items() if t.done() and ids & left.keys()]
        return diagnosis.leaked_work(
            list(waiters.values()), waiters[waiting[0]], list(left.values()), gone, "tasks"
        )
    return diagnosis.stuck(list(waiters.values()), waiters[waiting[0]], "tasks")


def _work_left(loop: ControlledLoop, waiting: list[Any]) -> dict[int, tuple[str, list[Any]]]:
    """Queues that tasks now ended took from and that still hold items, by id: the name
    the waiting tasks' code has for each, and its items, first out first."""
    ended = {q for task, ids in loop.served.items() if task.done() for q in ids}
    left: dict[int, tuple[str, list[Any]]] = {}
    for task in waiting:
        coro = task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None)
            for key, value in list(frame.f_locals.items()) if frame is not None else ():
                if id(value) in ended and id(value) not in left and value.qsize():
                    left[id(value)] = (f"`{key}` ({type(value).__name__})", list(value._queue))
            coro = getattr(coro, "cr_await", None)
    return left


def _lost_work(loop: ControlledLoop) -> Failure | None:
    # A task someone cancelled is being stopped on purpose; its work is not lost.
    pending = [t for t in loop.tasks if not t.done() and not t.cancelling()]
    if not pending:
        return None
    return diagnosis.lost_work(
        [_waiter(t) for t in pending],
        "pending when the main task returned",
        "asyncio.run() cancels it, and its work is lost",
    )


def _lost_exception(loop: ControlledLoop) -> Failure | None:
    for task in loop.tasks:
        if task.done() and not task.cancelled() and task._log_traceback:
            return diagnosis.lost_exception(
                task.exception(), task_label(task), "never retrieved: nobody awaited the task"
            )
    return None


def _shut_down(loop: ControlledLoop) -> None:
    """Cancel what is left and close the loop, as ``asyncio.run`` does."""
    pending = [t for t in loop.tasks if not t.done()]
    for task in pending:
        task.cancel()
    loop.wind_down()
    try:
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    except (NothingToRun, StepLimit, RuntimeError):
        pass
    for task in loop.tasks:
        task._log_traceback = False  # reported above, if it mattered
    executor = loop._default_executor  # type: ignore[attr-defined]
    if executor is not None:
        executor.shutdown(wait=True)  # as asyncio.run does: no thread outlives the run
    loop.close()
