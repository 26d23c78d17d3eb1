"""An asyncio event loop whose choice of the next ready task is made by the scheduler.

Coroutines never preempt each other: a task runs from one ``await`` to the next without
interruption. What varies in a real program is *which* ready task runs next, since that
depends on how long each awaited operation took. So the model is: whenever more than one
task is ready, the chooser picks which one runs its next step, and FIFO, what asyncio
does without I/O, is the default. Plain callbacks (future callbacks, ``call_soon``) are
plumbing that wakes tasks; they run first, in order.

Time is virtual: ``loop.time()`` only moves when nothing is ready, jumping to the next
timer, so ``asyncio.sleep`` and timeouts cost nothing and are deterministic. When nothing
is ready and no timer is pending while the main task is unfinished, every task waits for
another: ``NothingToRun`` ends the run, and ``races.runtimes.asyncio.session`` says why.

Tasks are CPython's pure-Python ``_PyTask``, whose scheduled steps name their task, so we
know which task each ready callback belongs to.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from races.core.runtime import IO_GRACE
from races.core.steps import StepLog
from races.vocabulary.access import Event, Sync
from races.vocabulary.errors import UncontrolledBlockingError
from races.vocabulary.kinds import StepKind

if TYPE_CHECKING:
    from races.core.strategies.base import Chooser

_PyTask: Any = asyncio.tasks._PyTask  # type: ignore[attr-defined]
_real_monotonic = time.monotonic


class NothingToRun(Exception):
    """No callback is ready and no timer is pending: every task waits for another."""


class StepLimit(Exception):
    """The run took more steps than allowed."""


class ControlledLoop(asyncio.SelectorEventLoop, StepLog):
    """Runs one ready callback per iteration, choosing among ready tasks with ``chooser``."""

    def __init__(
        self,
        chooser: Chooser,
        max_steps: int,
        watch: Callable[[], tuple[str, ...]] | None,
        watchdog: float = 10.0,
    ) -> None:
        super().__init__()
        self.watchdog = watchdog
        self.in_threads: list[Any] = []  # futures of functions running in executor threads
        self.start_log(chooser, max_steps, watch)
        self.clock = 0.0
        self.tasks: list[Any] = []
        self.served: dict[Any, set[int]] = {}  # task -> ids of the queues it took items from
        self.index: dict[int, int] = {}  # id(task) -> its number, in creation order
        #: The task whose step is running, and what its steps touched (``accesses``).
        self.unit: int | None = None
        self.events: list[Event] = []
        observe = getattr(chooser, "observe", None)
        if observe is not None:  # a chooser that follows what the steps touch (dpor)
            observe(self.events, self.trace)

    def time(self) -> float:
        return self.clock

    def create_task(  # type: ignore[override]
        self, coro: Coroutine[Any, Any, Any], *, name: str | None = None, context: Any = None
    ) -> Any:
        # Not a task factory: with one, 3.13.0 renames every unnamed task "None".
        self._check_closed()  # type: ignore[attr-defined]
        task = _PyTask(coro, loop=self, name=name, context=context)
        self.index[id(task)] = len(self.tasks)
        if self.unit is not None:  # a task started by another happens after its creation
            self.events.append(
                (self.unit, len(self.trace) - 1, Sync("start", len(self.tasks)), None)
            )
        self.tasks.append(task)
        return task

    def _owner(self, handle: asyncio.Handle) -> Any:
        owner = getattr(handle._callback, "__self__", None)  # type: ignore[attr-defined]
        return (
            owner
            if id(owner) in self.index and owner is self.tasks[self.index[id(owner)]]
            else None
        )

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> Any:  # type: ignore[override]
        future = super().run_in_executor(executor, func, *args)
        self.in_threads.append(future)
        return future

    def _run_once(self) -> None:
        self._collect_timers()
        if not self._ready and not self._stopping:  # type: ignore[attr-defined]
            self._wait_for_the_world()
        if not self._ready and not self._stopping:  # type: ignore[attr-defined]
            live = [h for h in self._scheduled if not h._cancelled]  # type: ignore[attr-defined]
            if not live:
                raise NothingToRun
            self.clock = max(self.clock, min(h._when for h in live))
            self._collect_timers()
        ready = self._ready  # type: ignore[attr-defined]
        if not ready:
            return
        plain = next((h for h in ready if self._owner(h) is None), None)
        if plain is not None:
            ready.remove(plain)
            if not plain._cancelled:
                plain._run()
            return
        handles = [h for h in ready if not h._cancelled]
        for h in list(ready):
            if h._cancelled:
                ready.remove(h)
        if not handles:
            return
        owners = [self.index[id(self._owner(h))] for h in handles]
        self.step += 1
        if self.step > self.max_steps:
            raise StepLimit
        chosen = self.choose(self.step, owners, "task")
        handle = handles[owners.index(chosen)]
        task = self.tasks[chosen]
        frame = _resume_frame(task)
        if frame is not None:
            self.record(chosen, StepKind.AWAIT, frame.f_code, frame.f_lineno)
        else:
            self.record(chosen, StepKind.EVENT, f"step of {task.get_name()}", None)
        ready.remove(handle)
        self.unit = chosen
        step = len(self.trace) - 1
        for done in _awaited(handle):
            # It resumes because a task it awaited finished: that task's steps came first.
            self.events.append((chosen, step, Sync("acquire", id(done)), None))
        try:
            handle._run()
        finally:
            self.unit = None
        if task.done():
            self.events.append((chosen, step, Sync("release", id(task)), None))

    def _wait_for_the_world(self) -> None:
        """Nothing is ready: before virtual time moves on, let real work finish.

        A function running in an executor thread takes no virtual time: the loop waits
        (really) for it, as the program itself would, so its result always arrives before
        the next timer, whatever the machine's speed. Sockets get ``IO_GRACE`` real seconds
        to answer before a timer may fire, and the whole ``watchdog`` when no timer is
        pending. Readiness comes in through the selector, as in asyncio's own loop.
        """
        self._process_events(self._selector.select(0))  # type: ignore[attr-defined]
        if self._ready:  # type: ignore[attr-defined]
            return
        self.in_threads = [f for f in self.in_threads if not f.done()]
        sockets = self._external_fds()
        if not self.in_threads and not sockets:
            return
        timers = any(not h._cancelled for h in self._scheduled)  # type: ignore[attr-defined]
        patience = self.watchdog if self.in_threads or not timers else IO_GRACE
        deadline = _real_monotonic() + patience
        while not self._ready:  # type: ignore[attr-defined]
            left = deadline - _real_monotonic()
            if left <= 0:
                break
            self._process_events(self._selector.select(min(left, 0.05)))  # type: ignore[attr-defined]
            self.in_threads = [f for f in self.in_threads if not f.done()]
        if not self._ready and self.in_threads and patience == self.watchdog:  # type: ignore[attr-defined]
            raise UncontrolledBlockingError(
                f"a function run in an executor thread (asyncio.to_thread, run_in_executor) "
                f"has not returned in {self.watchdog:g} s; races waits for such threads in "
                "real time, and this one may be blocked for good"
            )

    def _external_fds(self) -> list[int]:
        """File descriptors registered besides the loop's own wake-up pipe."""
        own = self._ssock.fileno() if self._ssock is not None else -1  # type: ignore[attr-defined]
        return [key.fd for key in self._selector.get_map().values() if key.fd != own]  # type: ignore[attr-defined]

    def _collect_timers(self) -> None:
        scheduled = self._scheduled  # type: ignore[attr-defined]
        while scheduled and scheduled[0]._cancelled:
            heapq.heappop(scheduled)._scheduled = False
        end_time = self.clock + self._clock_resolution  # type: ignore[attr-defined]
        while scheduled and scheduled[0]._when < end_time:
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            self._ready.append(handle)  # type: ignore[attr-defined]


def _awaited(handle: asyncio.Handle) -> list[Any]:
    """The finished tasks a task's wake-up is about: the task it awaited, or those a
    ``gather`` it awaited collected."""
    args = handle._args or ()
    future = args[0] if args else None
    if isinstance(future, asyncio.Task):
        return [future]
    children = getattr(future, "_children", None)
    return [c for c in children or () if isinstance(c, asyncio.Task)]


def _resume_frame(task: Any) -> Any:
    """The frame of the task's own coroutine, where it will resume (or start)."""
    coro = task.get_coro()
    return getattr(coro, "cr_frame", None)
