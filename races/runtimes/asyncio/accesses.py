"""What tasks touch: the access model for the controlled event loop.

A task runs from one ``await`` to the next without interruption, so its steps are atomic:
another task can only come in at an ``await``. While a task's step runs, every
instruction of the code under test that touches shared data is logged for that task and
step, as the threads runtime does (``races.core.access`` computes what it touches).

Tasks are ordered by what they wait for, and by the primitives they share: a task is
started by the one that created it; ``asyncio.Lock``, ``Semaphore``, ``Event``, ``Queue``
and futures order the step that gives (release, set, put, a result) before the step that
takes (acquire, a wait that returns, get, an await that resumes). These are logged as the
same ``Sync`` events a thread's locks make, so one analysis serves both runtimes.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

from races.core.access import ACCESSES
from races.core.codefilter import CodeFilter
from races.core.sites import MUTEX_OPERATIONS, call_site
from races.vocabulary.access import OPAQUE_STEP, Sync

if TYPE_CHECKING:
    from races.runtimes.asyncio.loop import ControlledLoop


class TaskAccesses:
    """Installed for one run: logs the accesses of task steps, and their synchronisation."""

    def __init__(self, loop: ControlledLoop, under_test: CodeFilter) -> None:
        self.loop = loop
        self.under_test = under_test
        self._undo: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ log

    def accessed(self, frame: FrameType, offset: int) -> None:
        loop = self.loop
        unit = loop.unit
        if unit is None:
            return
        touched = ACCESSES.accesses(frame, offset)
        where = (frame.f_code, offset)
        step = len(loop.trace) - 1
        for access in touched.accesses:
            loop.events.append((unit, step, access, where))
        if touched.opaque:
            loop.events.append((unit, step, OPAQUE_STEP, where))

    def synced(self, kind: str, obj: object, mutex: bool = False) -> None:
        loop = self.loop
        if loop.unit is None:
            return
        site = call_site(self.under_test) if mutex or kind == "acquire" else None
        where = (site.filename, site.lineno) if site is not None else None
        is_mutex = mutex and site is not None and site.operation in MUTEX_OPERATIONS
        loop.events.append(
            (loop.unit, len(loop.trace) - 1, Sync(kind, id(obj), where, is_mutex), None)
        )

    # ------------------------------------------------------------------ install

    def install(self) -> None:
        self._patch_primitives()
        if hasattr(sys, "monitoring"):
            self._install_monitoring()
        else:
            self._install_settrace()

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

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

    def _patch_primitives(self) -> None:
        """Each primitive's give and take, logged around the real method."""
        synced = self.synced

        def wrap_async_take(klass: type, name: str, mutex: bool = False) -> None:
            real = klass.__dict__[name]

            async def take(self: Any, *args: Any, **kwargs: Any) -> Any:
                result = await real(self, *args, **kwargs)
                synced("acquire", self, mutex)
                return result

            self._set(klass, name, take)

        def wrap_give(klass: type, name: str) -> None:
            real = klass.__dict__[name]

            def give(self: Any, *args: Any, **kwargs: Any) -> Any:
                synced("release", self)
                return real(self, *args, **kwargs)

            self._set(klass, name, give)

        def wrap_sync_take(klass: type, name: str) -> None:
            real = klass.__dict__[name]

            def take(self: Any, *args: Any, **kwargs: Any) -> Any:
                result = real(self, *args, **kwargs)
                synced("acquire", self)
                return result

            self._set(klass, name, take)

        wrap_async_take(asyncio.Lock, "acquire", mutex=True)
        wrap_give(asyncio.Lock, "release")
        wrap_async_take(asyncio.Semaphore, "acquire")
        wrap_give(asyncio.Semaphore, "release")
        wrap_async_take(asyncio.Event, "wait")
        wrap_give(asyncio.Event, "set")
        wrap_give(asyncio.Queue, "put_nowait")
        wrap_sync_take(asyncio.Queue, "get_nowait")
        wrap_give(asyncio.Queue, "task_done")
        wrap_async_take(asyncio.Queue, "join")

    def _set(self, klass: type, name: str, value: Any) -> None:
        old = klass.__dict__[name]
        setattr(klass, name, value)
        self._undo.append(lambda: setattr(klass, name, old))
