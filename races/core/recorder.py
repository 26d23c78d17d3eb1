"""Recording what each step of a cooperative runtime touches: tasks and greenlets.

A task or a greenlet runs until it waits, and nothing else runs meanwhile, so one trace
hook on the loop's thread serves them all: every instruction of the code under test that
touches shared data is logged for the unit whose step is running (``UnitLog.unit``), in
that step. The runtime says which unit runs, and logs its primitives' synchronisation by
subclassing ``StepRecorder`` (``patch``), with the same ``Sync`` events a thread's locks
make, so one analysis serves every runtime.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, Protocol

from races.core.access import ACCESSES, OWNERS, log_touched
from races.core.codefilter import CodeFilter
from races.core.sites import LockClass, LockClasses, call_site
from races.vocabulary.access import Event, Sync


class UnitLog(Protocol):
    """What a recorder needs of a loop: who runs, its steps, and where to log."""

    unit: int | None
    trace: list[tuple[Any, ...]]
    events: list[Event]


class StepRecorder:
    """Installed for one run: logs what each step of the running unit touches, and its
    synchronisation; a runtime subclasses it to log its primitives (``patch``)."""

    def __init__(self, loop: UnitLog, under_test: CodeFilter) -> None:
        self.loop = loop
        self.under_test = under_test
        self._undo: list[Callable[[], None]] = []
        self._classes = LockClasses()
        # The class of each lock made in the run, by id (the lock kept, so the id is its).
        self._made: dict[int, tuple[object, LockClass | None]] = {}

    # ------------------------------------------------------------------ log

    def accessed(self, frame: FrameType, offset: int) -> None:
        loop = self.loop
        unit = loop.unit
        if unit is None:
            return
        touched = ACCESSES.accesses(frame, offset)
        log_touched(loop.events, unit, len(loop.trace) - 1, touched, frame, offset)

    def synced(self, kind: str, obj: object, mutex: bool = False) -> None:
        loop = self.loop
        if loop.unit is None:
            return
        site = call_site(self.under_test) if mutex or kind == "acquire" else None
        where = (site.filename, site.lineno) if site is not None else None
        # A lock the code under test takes itself (``async with lock:``): what the
        # lock-order graph is made of.
        is_mutex = mutex and site is not None
        made = self._made.get(id(obj), (None, None))[1] if is_mutex else None
        loop.events.append(
            (loop.unit, len(loop.trace) - 1, Sync(kind, id(obj), where, is_mutex, made=made), None)
        )

    # ------------------------------------------------------------------ install

    def install(self) -> None:
        OWNERS.new_run()
        self.patch()
        if hasattr(sys, "monitoring"):
            self._install_monitoring()
        else:
            self._install_settrace()

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()
        OWNERS.new_run()  # the run's objects are the program's again

    def _install_settrace(self) -> None:
        under_test = self.under_test
        probes = ACCESSES.probes
        accessed = self.accessed

        def local(frame: FrameType, event: str, arg: object) -> Any:
            if event == "opcode" and frame.f_lasti in probes(frame.f_code):
                accessed(frame, frame.f_lasti)
            elif event == "line":
                frame.f_trace_opcodes = True
            return local

        def on_call(frame: FrameType, event: str, arg: object) -> Any:
            if not under_test(frame.f_code):
                return None
            frame.f_trace_opcodes = True
            return local

        saved = sys.gettrace()
        sys.settrace(on_call)
        self._undo.append(lambda: sys.settrace(saved))

    def _install_monitoring(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        tool = next((t for t in (3, 4, 5, 2) if mon.get_tool(t) is None), None)
        if tool is None:
            return  # every tool id taken: run without accesses rather than fail
        mon.use_tool_id(tool, "races-asyncio")
        under_test = self.under_test
        probes = ACCESSES.probes
        accessed = self.accessed
        getframe = sys._getframe
        disable = mon.DISABLE

        def on_instruction(code: CodeType, offset: int) -> Any:
            if not under_test(code) or offset not in probes(code):
                return disable
            accessed(getframe(1), offset)
            return None

        mon.register_callback(tool, mon.events.INSTRUCTION, on_instruction)
        mon.set_events(tool, mon.events.INSTRUCTION)

        def undo() -> None:
            mon.set_events(tool, 0)
            mon.register_callback(tool, mon.events.INSTRUCTION, None)
            mon.free_tool_id(tool)
            mon.restart_events()

        self._undo.append(undo)

    def patch(self) -> None:
        """Wrap the runtime's primitives so that they log their synchronisation."""

    def wrap_made(self, klass: type) -> None:
        """Name each ``klass`` made in the run by where it was made (its lock class)."""
        real = klass.__dict__["__init__"]
        made = self._made
        classes = self._classes
        under_test = self.under_test

        def init(this: Any, *args: Any, **kwargs: Any) -> None:
            real(this, *args, **kwargs)
            made[id(this)] = (this, classes.name(under_test))

        self._set(klass, "__init__", init)

    def wrap_give(self, klass: type, name: str) -> None:
        """``klass.name`` gives (release, set, put): it happens before the next take."""
        real = klass.__dict__[name]
        synced = self.synced

        def give(this: Any, *args: Any, **kwargs: Any) -> Any:
            synced("release", this)
            return real(this, *args, **kwargs)

        self._set(klass, name, give)

    def wrap_take(self, klass: type, name: str, mutex: bool = False) -> None:
        """``klass.name`` takes (acquire, wait, get): what was given comes before it."""
        real = klass.__dict__[name]
        synced = self.synced

        def take(this: Any, *args: Any, **kwargs: Any) -> Any:
            result = real(this, *args, **kwargs)
            synced("acquire", this, mutex)
            return result

        self._set(klass, name, take)

    def _set(self, klass: type, name: str, value: Any) -> None:
        old = klass.__dict__[name]
        setattr(klass, name, value)
        self._undo.append(lambda: setattr(klass, name, old))
