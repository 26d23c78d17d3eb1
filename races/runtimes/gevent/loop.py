"""A gevent event loop whose choice of the next greenlet to wake is made by the scheduler.

gevent runs one greenlet at a time and switches only when a greenlet waits: for I/O, a
sleep, a lock, a join. The hub greenlet then runs its event loop, and whatever the loop
wakes next runs next. So the loop is the one place where greenlet order is decided, and
this module replaces it: ``gevent.hub.Hub(loop=ControlledGeventLoop(...))``.

The model is the asyncio one (``races.runtimes.asyncio.loop``). Every iteration runs one ready
callback. Callbacks that resume a greenlet (``Greenlet.switch`` when it starts, a
``Waiter.switch`` when what it waits for is ready, ``greenlet.throw`` to kill it) are the
choices: when more than one greenlet could be resumed, the chooser picks which, and FIFO,
what gevent does without I/O, is the default. Other callbacks are plumbing (notifying a
lock's waiters, say) and run first, in order.

Time is virtual: ``now()`` moves only when nothing is ready, jumping to the next timer, so
``gevent.sleep`` and timeouts cost nothing and timers due together are explored in every
order. Real file descriptors are polled without waiting while anything else can run;
when only I/O is left, the loop waits for it for real, up to ``io_wait`` seconds.

When nothing is ready, no timer is pending and no I/O is awaited, every greenlet waits for
another: ``run()`` returns, and the hub raises gevent's ``LoopExit`` in the main greenlet,
as gevent itself does ("This operation would block forever").

Steps are counted where the hub switches *into* a greenlet (``greenlet.settrace``), so a
step is one stretch of a greenlet running between two waits, and a schedule's step
numbers are the ones the trace shows.
"""

from __future__ import annotations

import heapq
import itertools
import os
import select
import sys
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from races.core.sites import is_races_internal
from races.core.steps import RunCut, StepLog
from races.vocabulary.errors import RacesError
from races.vocabulary.kinds import StepKind

if TYPE_CHECKING:
    from races.core.strategies.base import Chooser

READ, WRITE = 1, 2


class Unsupported(RacesError):
    """The scenario asked the loop for something races does not model."""


class Watcher:
    """What gevent expects of a watcher: ``start``, ``stop``, ``close``, ``active``, ``ref``."""

    def __init__(self, loop: ControlledGeventLoop, ref: bool = True, priority: Any = None) -> None:
        self.loop = loop
        self.ref = ref
        self.priority = priority
        self.callback: Callable[..., Any] | None = None
        self.args: tuple[Any, ...] | None = None
        self.queued: _Callback | None = None

    @property
    def active(self) -> bool:
        return self.callback is not None

    @property
    def pending(self) -> bool:
        return False

    def start(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if callback is None:
            raise TypeError("callback must be callable, not None")
        self.callback = callback
        self.args = args
        self.loop._watchers[self] = None

    def stop(self) -> None:
        self.callback = None
        self.args = None
        self.loop._watchers.pop(self, None)

    def close(self) -> None:
        self.stop()

    def fire(self) -> None:
        """Queue the callback to run, as the loop does when the event happens.

        A file descriptor stays ready until it is read, but its callback is queued only
        once: the greenlet it wakes may not run before the next poll.
        """
        if self.callback is not None and not (self.queued and self.queued.pending):
            self.queued = _Callback(self.callback, self.args or ())
            self.loop._ready.append(self.queued)

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Timer(Watcher):
    def __init__(
        self,
        loop: ControlledGeventLoop,
        after: float = 0.0,
        repeat: float = 0.0,
        ref: bool = True,
        priority: Any = None,
    ) -> None:
        if repeat < 0.0:
            raise ValueError(f"repeat must be positive or zero: {repeat!r}")
        super().__init__(loop, ref, priority)
        self.after = after
        self.repeat = repeat
        self.at = 0.0

    def start(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.stop()
        super().start(callback, *args)
        self.at = self.loop.clock + max(self.after, 0.0)
        heapq.heappush(self.loop._timers, (self.at, next(self.loop._order), self))

    def again(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.start(callback, *args)

    def stop(self) -> None:
        super().stop()
        self.at = -1.0  # entries left in the heap are recognised as stale and dropped


class Io(Watcher):
    def __init__(
        self,
        loop: ControlledGeventLoop,
        fd: int,
        events: int,
        ref: bool = True,
        priority: Any = None,
    ) -> None:
        if fd < 0:
            raise ValueError(f"fd must be non-negative: {fd!r}")
        if events & ~(READ | WRITE):
            raise ValueError(f"illegal event mask: {events!r}")
        os.fstat(fd)  # raises OSError(EBADF) for a closed descriptor, as gevent's loops do
        super().__init__(loop, ref, priority)
        self.fd = fd
        self.events = events

    def start(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if kwargs.get("pass_events"):
            args = (self.events, *args)
        super().start(callback, *args)


class Idle(Watcher):
    """Fires when nothing else is ready (``gevent.idle()``)."""


class Async(Watcher):
    """Woken by ``send()``, possibly from a real thread outside the scheduler's control."""

    def __init__(self, loop: ControlledGeventLoop, ref: bool = True, priority: Any = None) -> None:
        super().__init__(loop, ref, priority)
        self.sent = False

    @property
    def pending(self) -> bool:
        return self.sent

    def send(self) -> None:
        self.sent = True
        self.loop._wake()

    def send_ignoring_arg(self, _ignored: object) -> None:
        self.send()


class _Callback:
    """What ``run_callback`` returns: gevent's ICallback."""

    __slots__ = ("args", "callback")

    def __init__(self, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.callback: Callable[..., Any] | None = callback
        self.args = args

    @property
    def pending(self) -> bool:
        return self.callback is not None

    def stop(self) -> None:
        self.callback = None

    close = stop


class ControlledGeventLoop(StepLog):
    """gevent's ILoop, run one callback at a time, greenlet order chosen by ``chooser``."""

    MAXPRI = 2  # gevent.select asks for it
    default = True
    approx_timer_resolution = 0.00001

    def __init__(
        self,
        chooser: Chooser,
        max_steps: int,
        watch: Callable[[], tuple[str, ...]] | None = None,
        io_wait: float = 10.0,
    ) -> None:
        self.start_log(chooser, max_steps, watch)
        # The greenlet whose step runs (None: the hub's code), and what its steps touch.
        self.unit: int | None = 0
        self.events: list[Any] = []
        observe = getattr(chooser, "observe", None)
        if observe is not None:  # a chooser that follows what the steps touch (dpor)
            observe(self.events, self.trace)
        self.io_wait = io_wait
        self.clock = 0.0
        self.error_handler: Any = None
        self.stop_reason: str | None = None  # set when the run must end: the loop returns
        self.greenlets: list[Any] = []  # in the order they first became runnable
        self.index: dict[int, int] = {}  # id(greenlet) -> its number
        self.sites: dict[int, tuple[Any, int]] = {}  # number -> (code, line) where it waits
        self.hub: Any = None
        self.on_stuck: Callable[[], None] | None = None  # called when nothing can ever run
        self._ready: deque[_Callback] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._watchers: dict[Watcher, None] = {}  # the started ones, in order: a set is not
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)

    # -- greenlets ---------------------------------------------------------------------

    def register(self, greenlet: Any, name: str) -> int:
        """Number a greenlet the first time it can run; the main greenlet is 0."""
        key = id(greenlet)
        if key not in self.index or self.greenlets[self.index[key]] is not greenlet:
            self.index[key] = len(self.greenlets)
            self.greenlets.append(greenlet)
            greenlet._races_name = name
        return self.index[key]

    def owner(self, callback: _Callback) -> int | None:
        """The number of the greenlet this callback resumes, or None for plumbing."""
        target = getattr(callback.callback, "__self__", None)
        if target is not None and not _is_greenlet(target):
            target = getattr(target, "greenlet", None)  # a Waiter: the greenlet waiting on it
        if target is None or not _is_greenlet(target) or target is self.hub or target.dead:
            return None
        number = self.number(target)
        if number is None:
            number = self.register(target, f"Greenlet-{len(self.greenlets)}")
        return number

    def number(self, greenlet: Any) -> int | None:
        """The greenlet's number, if it is one of the scenario's."""
        number = self.index.get(id(greenlet))
        if number is None or self.greenlets[number] is not greenlet:
            return None
        return number

    def on_switch(self, event: str, args: tuple[Any, Any]) -> None:
        """``greenlet.settrace`` hook: a switch into a greenlet other than the hub is a step.

        The greenlet switching away is suspended by now, so its frame says where it
        waits: its innermost frame outside gevent.
        """
        origin, target = args
        if event not in ("switch", "throw"):
            return
        left = self.number(origin)
        if left is not None:
            self.sites[left] = _site(origin.gr_frame)
        number = self.number(target)
        self.unit = number
        if number is None:
            return  # the hub, or a greenlet of races itself
        self.step += 1
        if self.step > self.max_steps:
            self.stop_reason = "step limit"
        self.record(number, StepKind.WAIT, *(self.sites.get(number) or self.start(number)))

    def start(self, number: int, run: Any = None) -> tuple[str, tuple[str, int] | None]:
        """A greenlet's first step, for the trace: 'starts f()' at f's first line."""
        greenlet = self.greenlets[number]
        run = run or getattr(greenlet, "_run", None) or getattr(greenlet, "run", None)
        function = getattr(run, "__func__", run)
        name = getattr(function, "__qualname__", "its function")
        code = getattr(function, "__code__", None)
        if code is None or code.co_filename.startswith(_library_dirs()):
            return f"starts {name}()", None
        return f"starts {name}()", (code.co_filename, code.co_firstlineno)

    # -- ILoop -------------------------------------------------------------------------

    def run(self, nowait: bool = False, once: bool = False) -> None:
        while self.stop_reason is None:
            self._collect_timers()
            self._poll(0.0)
            if not self._ready:
                if not self._idle_or_wait():
                    if self.on_stuck is not None:
                        self.on_stuck()
                    return  # nothing can ever run: the hub raises LoopExit
                continue
            self._run_one()
            if once or nowait:
                return

    def _run_one(self) -> None:
        live = [cb for cb in self._ready if cb.callback is not None]
        self._ready = deque(live)
        if not live:
            return
        owners = [self.owner(cb) for cb in live]
        if None in owners:  # plumbing runs first, in order
            pick = live[owners.index(None)]
        else:
            options = [o for o in dict.fromkeys(owners) if o is not None]
            try:
                chosen = self.choose(self.step + 1, options, "greenlet")
            except RunCut:  # the rest of this run could only repeat a trace (dpor)
                self.stop_reason = "cut"
                return
            pick = live[owners.index(chosen)]
        self._ready.remove(pick)
        callback, args = pick.callback, pick.args
        pick.callback = None
        assert callback is not None
        try:
            callback(*args)
        except BaseException:  # as gevent's own loops do, the hub decides what it means
            if self.error_handler is None:
                raise
            self.error_handler.handle_error(callback, *sys.exc_info())

    def _collect_timers(self) -> None:
        timers = self._timers
        while timers and (timers[0][2].at != timers[0][0] or not timers[0][2].active):
            heapq.heappop(timers)
        while timers and timers[0][0] <= self.clock:
            at, _, timer = heapq.heappop(timers)
            if timer.at != at or not timer.active:
                continue
            callback, args = timer.callback, timer.args or ()
            if timer.repeat:
                timer.at = at + timer.repeat
                heapq.heappush(timers, (timer.at, next(self._order), timer))
            else:
                timer.stop()
            assert callback is not None
            self._ready.append(_Callback(callback, args))

    def _idle_or_wait(self) -> bool:
        """Nothing is ready: run idle watchers, move time on, or wait for I/O. False: stuck."""
        idle = [w for w in self._watchers if isinstance(w, Idle)]
        if idle:
            for watcher in idle:
                watcher.fire()
            return True
        self._collect_timers()
        live = [t for at, _, t in self._timers if t.at == at and t.active and t.ref]
        if live:
            self.clock = max(self.clock, min(t.at for t in live))
            return True
        if any(w.ref for w in self._watchers if isinstance(w, (Io, Async))):
            return self._poll(self.io_wait)
        return False

    def _poll(self, timeout: float) -> bool:
        """Queue the callbacks of ready file descriptors and sent asyncs; True if any."""
        fired = False
        for watcher in [w for w in self._watchers if isinstance(w, Async) and w.sent]:
            watcher.sent = False
            watcher.fire()
            fired = True
        ios = sorted((w for w in self._watchers if isinstance(w, Io)), key=lambda w: w.fd)
        if not ios and timeout == 0.0:
            return fired
        poller = _real_poll()  # gevent's patched select would switch to the hub: this one
        poller.register(self._wake_r, select.POLLIN)
        wanted: dict[int, int] = {}
        for w in ios:
            wanted[w.fd] = wanted.get(w.fd, 0) | w.events
        for fd, events in wanted.items():
            poller.register(
                fd,
                (select.POLLIN if events & READ else 0) | (select.POLLOUT if events & WRITE else 0),
            )
        wait = 0.0 if fired else timeout
        happened = dict(poller.poll(int(wait * 1000)))
        if happened.pop(self._wake_r, 0):
            os.read(self._wake_r, 4096)
            return self._poll(0.0) or True
        for w in ios:
            mask = happened.get(w.fd, 0)
            got = (READ if mask & (select.POLLIN | select.POLLHUP | select.POLLERR) else 0) | (
                WRITE if mask & (select.POLLOUT | select.POLLERR) else 0
            )
            if got & w.events:
                w.fire()
                fired = True
        return fired

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:
            pass

    def now(self) -> float:
        return self.clock

    def update_now(self) -> None:
        pass

    def run_callback(self, func: Callable[..., Any], *args: Any) -> _Callback:
        callback = _Callback(func, args)
        self._ready.append(callback)
        return callback

    def run_callback_threadsafe(self, func: Callable[..., Any], *args: Any) -> _Callback:
        callback = self.run_callback(func, *args)
        self._wake()
        return callback

    def timer(
        self, after: float, repeat: float = 0.0, ref: bool = True, priority: Any = None
    ) -> Timer:
        return Timer(self, after, repeat, ref, priority)

    def io(self, fd: int, events: int, ref: bool = True, priority: Any = None) -> Io:
        return Io(self, fd, events, ref, priority)

    def idle(self, ref: bool = True, priority: Any = None) -> Idle:
        return Idle(self, ref, priority)

    def prepare(self, ref: bool = True, priority: Any = None) -> Watcher:
        return Watcher(self, ref, priority)  # runs never: nothing here needs it

    def check(self, ref: bool = True, priority: Any = None) -> Watcher:
        return Watcher(self, ref, priority)

    def fork(self, ref: bool = True, priority: Any = None) -> Watcher:
        return Watcher(self, ref, priority)  # a scenario does not fork while it is explored

    def async_(self, ref: bool = True, priority: Any = None) -> Async:
        return Async(self, ref, priority)

    def closing_fd(self, fd: int) -> bool:
        return False

    def signal(self, signum: int, ref: bool = True, priority: Any = None) -> Watcher:
        raise Unsupported(_unsupported("signal watchers (gevent.signal_handler)"))

    def child(self, pid: int, trace: int = 0, ref: bool = True) -> Watcher:
        raise Unsupported(_unsupported("child process watchers (gevent.subprocess, os.waitpid)"))

    def stat(
        self, path: str, interval: float = 0.0, ref: bool = True, priority: Any = None
    ) -> Watcher:
        raise Unsupported(_unsupported("file watchers (gevent.os stat)"))

    def install_sigchld(self) -> None:
        raise Unsupported(_unsupported("SIGCHLD handling (gevent.subprocess)"))

    def reset_sigchld(self) -> None:
        pass

    def handle_error(self, context: Any, type: Any, value: Any, tb: Any) -> None:
        if self.error_handler is not None:
            self.error_handler.handle_error(context, type, value, tb)

    def reinit(self) -> None:
        pass

    def debug(self) -> list[str]:
        return []

    def destroy(self) -> None:
        for watcher in list(self._watchers):
            watcher.stop()
        self._ready.clear()
        self._timers.clear()
        if self._wake_r >= 0:
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_r = self._wake_w = -1


def _real_poll() -> Any:
    from gevent import monkey

    return monkey.get_original("select", "poll")()


def _unsupported(what: str) -> str:
    return (
        f"races does not model {what} when it explores greenlets; keep them out of the "
        "scenario, or test that part on a real gevent loop"
    )


def _is_greenlet(obj: object) -> bool:
    import greenlet

    return isinstance(obj, greenlet.greenlet)


_LIBRARY_DIRS: tuple[str, ...] = ()


def _site(frame: Any) -> tuple[Any, int]:
    """The innermost frame outside gevent and the scheduler, as (code, line)."""
    library = _library_dirs()
    while frame is not None and (
        frame.f_code.co_filename.startswith(library) or is_races_internal(frame.f_code.co_filename)
    ):
        frame = frame.f_back
    return (frame.f_code, frame.f_lineno) if frame is not None else (None, 0)


def _library_dirs() -> tuple[str, ...]:
    """gevent's code and the scheduler's: never where a scenario's greenlet is 'at'."""
    global _LIBRARY_DIRS
    if not _LIBRARY_DIRS:
        import gevent

        _LIBRARY_DIRS = (
            os.path.dirname(gevent.__file__),
            "src/gevent/",  # gevent's compiled modules name their source so
        )
    return _LIBRARY_DIRS
