"""The trace hooks that put switch points into the code under test.

Two mechanisms, one behaviour. ``sys.monitoring`` (3.12+) reaches every thread at once and
lets us switch off each location that is not a switch point, so untested code costs
nothing after its first event; ``sys.settrace`` (the only choice on 3.11) is installed in
each controlled thread as it starts. Both report the same switch points: before each line,
or before each instruction that can touch state shared with other threads. Instructions
that only move values within the frame (``LOAD_FAST``, ``LOAD_CONST``, ...) commute with
everything other threads do, so switching before them adds schedules and finds nothing.
"""

from __future__ import annotations

import dis
import sys
import threading
from collections.abc import Callable
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from races.core.access import ACCESSES
from races.core.codefilter import CodeFilter
from races.core.codekeys import keep
from races.core.focus import NOTHING_QUIET, Quiet
from races.core.instructions import INSTRUCTIONS, REACHED_BY_EXCEPTIONS
from races.core.sites import hidden
from races.vocabulary.errors import InvalidArgument
from races.vocabulary.kinds import StepKind

INSTRUCTION, LINE = StepKind.INSTRUCTION, StepKind.LINE

if TYPE_CHECKING:
    from races.runtimes.threads.records import ControlledThread


class Execution(Protocol):
    """What a tracer needs of the run in progress: its threads, its switch points, and
    where to log what an instruction touches."""

    by_ident: dict[int, ControlledThread]

    def switch_point(self, rec: ControlledThread, kind: StepKind, a: Any, b: Any) -> None: ...

    def accessed(self, rec: ControlledThread, frame: FrameType, offset: int) -> None: ...

    def unseen_code(self, rec: ControlledThread) -> None: ...

    def called_back(self, rec: ControlledThread, frame: FrameType) -> None: ...


Granularity = Literal["line", "instruction"]
Mechanism = Literal["auto", "settrace", "monitoring"]


class Tracer:
    """Creates switch points in code under test for whichever execution is active."""

    def __init__(
        self,
        under_test: CodeFilter,
        granularity: Granularity,
        accesses: bool = True,
        switching: bool = True,
    ) -> None:
        self.under_test = under_test
        self.granularity = granularity
        #: Whether lines or instructions are switch points. Off, threads switch only
        #: where they block, and each instruction that touches shared data is a step:
        #: what one detected run needs, at a fraction of the cost.
        self.switching = switching
        self.recording = True  # off for a run whose accesses nobody reads
        #: Whether to record what each instruction touches (off: switch points only, what
        #: the benchmark compares the access model's cost against).
        self.accesses = accesses
        self.execution: Execution | None = None
        #: The code locations a sampling search has learned to skip (``races.core.focus``):
        #: no switch point, nothing recorded.
        self.quiet: Quiet = NOTHING_QUIET
        #: Whether to tell the execution of each call of code under test from code it
        #: does not trace (``Execution.called_back``): on where the session excludes a
        #: package, off (and free) elsewhere.
        self.callbacks = False

    def focus(self, quiet: Quiet) -> None:
        """Skip ``quiet`` from the next run on."""
        self.quiet = quiet

    def install(self) -> None:
        raise NotImplementedError

    def uninstall(self) -> None:
        raise NotImplementedError

    def start_thread(self, ex: Execution, rec: ControlledThread) -> None:
        """Called on each controlled thread before it runs any code."""

    def stop_thread(self) -> None:
        """Called on each controlled thread as it ends."""


class SettraceTracer(Tracer):
    """``sys.settrace`` in each controlled thread: line events, or opcode events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lines: dict[int, dict[int, bool]] = {}  # by id (``races.core.codekeys``)
        self._plain: dict[int, frozenset[int]] = {}  # by id: ``_lines``' False offsets
        #: Code that a call event passes by at once: neither under test nor hiding
        #: state (races' own models, most of the standard library), by id. Most calls a
        #: controlled thread makes are to such code, and each costs a call of the hook.
        self._passed: set[int] = set()
        #: Each running thread's trace functions that return themselves, by ident (see
        #: ``stop_thread``).
        self._own: dict[int, tuple[Callable[..., Any], dict[int, Callable[..., Any]]]] = {}

    def focus(self, quiet: Quiet) -> None:
        if quiet is not self.quiet:
            self._lines.clear()  # its lines that want opcode events have changed
            self._plain.clear()
        super().focus(quiet)

    def install(self) -> None:
        # CPython's Thread bootstrap would install threading.settrace()'s hook over ours.
        self._saved_hook = threading._trace_hook  # type: ignore[attr-defined]
        threading._trace_hook = None  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        threading._trace_hook = self._saved_hook  # type: ignore[attr-defined]

    def start_thread(self, ex: Execution, rec: ControlledThread) -> None:
        under_test = self.under_test
        switch_point = ex.switch_point
        accessed = ex.accessed
        switching = self.switching
        by_instruction = switching and self.granularity == "instruction"
        by_line = switching and self.granularity == "line"
        switch_offsets = INSTRUCTIONS.switch_offsets
        extended_at = INSTRUCTIONS.extended  # where 3.11 reports an extended instruction
        probes = ACCESSES.probes if self.accesses else _no_probes
        opcode_lines = self._opcode_lines

        opcodes = by_instruction or self.accesses
        # On 3.12+ a frame's opcode flag switches events on and off for its code object,
        # every thread's frames of it at once: there it stays on for the whole frame. And
        # where every instruction that is not frame-local is a switch point, nearly every
        # line wants opcode events: looking it up would only cost, unless focus has
        # quieted most of them.
        per_line = sys.version_info < (3, 12) and (not by_instruction or bool(self.quiet))

        def local(frame: FrameType, event: str, arg: object) -> Any:
            if event == "line":
                # Set at each line, before its first opcode event (3.12+ may also ignore
                # the flag set at 'call' for a function's first call).
                frame.f_trace_opcodes = opcodes
                if by_line:
                    switch_point(rec, LINE, frame.f_code, frame.f_lineno)
            elif event == "exception":
                frame.f_trace_opcodes = opcodes  # a handler's first instructions have no line
            elif event == "opcode":
                code, offset = frame.f_code, frame.f_lasti
                extended = extended_at(code)
                if extended:
                    offset = extended.get(offset, offset)
                if offset in tracer.quiet.get(id(code), ()):
                    return local
                if by_instruction and offset in switch_offsets(code):
                    switch_point(rec, INSTRUCTION, code, offset)
                if offset in probes(code):
                    accessed(rec, frame, offset)
            return local

        # Opcode events at both granularities: an instruction's accesses are read just
        # before it runs, and at instruction granularity that is also its switch point.
        # An opcode event costs as much as a line's worth of plain instructions, so (on
        # 3.11) they are on only in the lines that hold such an instruction, and a loop
        # that computes on its locals costs one line event a line. That event is the
        # whole cost of such a loop, so each code object gets a function of its own,
        # with its plain lines (no opcode events wanted) at hand.
        own: dict[int, Callable[[FrameType, str, object], Any]] = {}  # by id(code)

        def local_for(code: CodeType) -> Callable[[FrameType, str, object], Any]:
            plain = self._plain_lines(code)
            quiet = tracer.quiet.get(id(code), frozenset())
            switches = switch_offsets(code) if by_instruction else frozenset()
            extended = extended_at(code)

            def local_of_code(frame: FrameType, event: str, arg: object) -> Any:
                if event == "line":
                    wanted = frame.f_lasti not in plain
                    if wanted is not frame.f_trace_opcodes:  # reading the flag costs less
                        frame.f_trace_opcodes = wanted  # than setting it to what it was
                    if by_line:
                        switch_point(rec, LINE, frame.f_code, frame.f_lineno)
                elif event == "exception":
                    # A handler's first instructions have no line: no line event comes
                    # before them, this one does.
                    frame.f_trace_opcodes = True
                elif event == "opcode":
                    offset = frame.f_lasti
                    if extended:
                        offset = extended.get(offset, offset)
                    if offset in quiet:
                        return local_of_code
                    if offset in switches:
                        switch_point(rec, INSTRUCTION, code, offset)
                    if offset in probes(code):
                        accessed(rec, frame, offset)
                return local_of_code

            own[keep(code)] = local_of_code
            return local_of_code

        unseen = ex.unseen_code if self.accesses else None
        called_back = ex.called_back if self.callbacks else None
        tracer = self

        passed = self._passed

        def on_call(frame: FrameType, event: str, arg: object) -> Any:
            code = frame.f_code
            if id(code) in passed:
                return None
            if not under_test(code):
                if unseen is None or not hidden(code):
                    passed.add(id(code))  # kept by the code filter (``codekeys``)
                elif tracer.recording:
                    unseen(rec)
                return None
            if called_back is not None:
                caller = frame.f_back
                if caller is not None and not under_test(caller.f_code):
                    called_back(rec, frame)
            if not opcode_lines(code, probes) and not by_line:
                return None  # nothing in it to switch before or to record
            if not per_line:
                return local
            return own.get(id(code)) or local_for(code)

        self._own[_get_ident()] = (local, own)
        sys.settrace(on_call)

    def stop_thread(self) -> None:
        """Off, and the thread's trace functions let go of themselves: each returns itself
        (what keeps a frame traced), so each is a reference cycle that would take the
        run's records, reachable from its cells, to the garbage collector, not to
        reference counting."""
        sys.settrace(None)
        functions = self._own.pop(_get_ident(), None)
        if functions is not None:
            local, own = functions
            for function in (local, *own.values()):
                for cell in function.__closure__ or ():
                    if cell.cell_contents is function:
                        cell.cell_contents = None

    def _plain_lines(self, code: CodeType) -> frozenset[int]:
        """The offsets of ``code``'s line events after which no opcode event is wanted."""
        try:
            return self._plain[id(code)]
        except KeyError:
            lines = self._lines[id(code)]
            plain = frozenset(offset for offset, wanted in lines.items() if not wanted)
            self._plain[keep(code)] = plain
            return plain

    def _opcode_lines(
        self, code: CodeType, probes: Callable[[CodeType], dict[int, Any]]
    ) -> dict[int, bool]:
        """For each offset a line event can come before: whether, from there to the end
        of its line, an instruction is a switch point or reads shared state. Empty when
        none in ``code`` is. A line's other pieces count too (a jump between two pieces
        of one line makes no line event); where such an instruction has no line at all, a
        line event may not come before it, and every offset says yes."""
        try:
            return self._lines[id(code)]
        except KeyError:
            pass
        wanted = set(probes(code))
        if self.switching and self.granularity == "instruction":
            wanted |= INSTRUCTIONS.switch_offsets(code)
        wanted -= self.quiet.get(id(code), frozenset())
        ranges: list[tuple[int, int, int | None]] = []
        for start, end, line in code.co_lines():  # one entry an instruction, on 3.11
            if ranges and ranges[-1][2] == line and ranges[-1][1] == start:
                ranges[-1] = (ranges[-1][0], end, line)
            else:
                ranges.append((start, end, line))
        found: dict[int, bool] = {}
        if wanted:
            # An instruction without a line that an exception reaches has an exception
            # event before it, which turns opcode events on (``local_of_code``).
            unlined = {
                i.offset
                for i in dis.get_instructions(code)
                if i.positions is None or i.positions.lineno is None
                if i.opname not in REACHED_BY_EXCEPTIONS
            }
            everywhere = not unlined.isdisjoint(wanted)
            for start, end, line in ranges:
                elsewhere = any(
                    _holds(wanted, a, b) for a, b, other in ranges if other == line and a != start
                )
                for offset in range(start, end, 2):
                    found[offset] = everywhere or elsewhere or _holds(wanted, offset, end)
        self._lines[keep(code)] = found
        return found


def _holds(offsets: set[int], start: int, end: int) -> bool:
    return any(start <= offset < end for offset in offsets)


class MonitoringTracer(Tracer):
    """``sys.monitoring`` (3.12+): one tool for every thread; non-switch locations disabled."""

    # 1 is coverage's; Hypothesis' explain phase has been seen to leave 3 behind; 0 is the
    # debugger's, last: a tool there makes pytest-timeout think a debugger is attached,
    # and it then lets a test run past its limit.
    _CANDIDATE_IDS = (4, 5, 2, 3, 0)

    def install(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        for tool in self._CANDIDATE_IDS:
            if mon.get_tool(tool) is None:
                break
        else:
            raise RuntimeError(
                "races: every sys.monitoring tool id it can use (0, 2, 3, 4, 5) is taken by "
                "another tool; pass tracing='settrace' to explore()"
            )
        self.tool = tool
        mon.use_tool_id(tool, "races")
        disable = mon.DISABLE
        under_test = self.under_test
        tracer = self

        probes = ACCESSES.probes if self.accesses else _no_probes
        by_instruction = self.switching and self.granularity == "instruction"
        by_line = self.switching and self.granularity == "line"
        switch_offsets = INSTRUCTIONS.switch_offsets
        getframe = sys._getframe

        # Instruction events at both granularities: an instruction's accesses are read just
        # before it runs, and at instruction granularity that is also its switch point.
        # Every location that is neither is switched off after its first event.
        def on_instruction(code: CodeType, offset: int) -> Any:
            if not under_test(code) or offset in tracer.quiet.get(id(code), ()):
                return disable
            switches = by_instruction and offset in switch_offsets(code)
            probed = offset in probes(code)
            if not switches and not probed:
                return disable
            ex = tracer.execution
            if ex is not None:
                rec = ex.by_ident.get(_get_ident())
                if rec is not None:
                    if switches:
                        ex.switch_point(rec, INSTRUCTION, code, offset)
                    if probed:
                        ex.accessed(rec, getframe(1), offset)
            return None

        def on_line(code: CodeType, offset: int) -> Any:
            if not under_test(code):
                return disable
            ex = tracer.execution
            if ex is not None:
                rec = ex.by_ident.get(_get_ident())
                if rec is not None:
                    ex.switch_point(rec, LINE, code, offset)
            return None

        # Every call (and resumption) of code that hides what it touches makes its step
        # opaque; any other code is switched off after its first.
        def on_start(code: CodeType, offset: int) -> Any:
            if under_test(code):
                if tracer.callbacks:
                    frame = getframe(1)
                    caller = frame.f_back
                    ex = tracer.execution
                    if ex is not None and caller is not None and not under_test(caller.f_code):
                        rec = ex.by_ident.get(_get_ident())
                        if rec is not None:
                            ex.called_back(rec, frame)
                # Not DISABLE: on 3.12 and 3.13 that also drops the LINE event of the
                # function's first line from the next call on.
                return None
            if not hidden(code):
                return disable
            ex = tracer.execution
            if ex is not None and tracer.recording:
                rec = ex.by_ident.get(_get_ident())
                if rec is not None:
                    ex.unseen_code(rec)
            return None

        events = mon.events.INSTRUCTION if by_instruction or self.accesses else 0
        if self.accesses:
            events |= mon.events.PY_START | mon.events.PY_RESUME
            mon.register_callback(tool, mon.events.PY_START, on_start)
            mon.register_callback(tool, mon.events.PY_RESUME, on_start)
        mon.register_callback(tool, mon.events.INSTRUCTION, on_instruction)
        if by_line:
            events |= mon.events.LINE
            mon.register_callback(tool, mon.events.LINE, on_line)
        mon.set_events(tool, events)

    def focus(self, quiet: Quiet) -> None:
        if self.quiet and not quiet:
            # Locations skipped so far stay switched off for every tool until this.
            sys.monitoring.restart_events()  # type: ignore[attr-defined]
        super().focus(quiet)

    def uninstall(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        mon.set_events(self.tool, 0)
        mon.register_callback(self.tool, mon.events.INSTRUCTION, None)
        mon.register_callback(self.tool, mon.events.LINE, None)
        mon.register_callback(self.tool, mon.events.PY_START, None)
        mon.register_callback(self.tool, mon.events.PY_RESUME, None)
        mon.free_tool_id(self.tool)
        # Locations we disabled stay disabled for every tool until this is called.
        mon.restart_events()


_get_ident = threading.get_ident


def _no_probes(code: CodeType) -> dict[int, Any]:
    return {}


def make_tracer(
    under_test: CodeFilter,
    granularity: Granularity,
    mechanism: Mechanism,
    accesses: bool = True,
    switching: bool = True,
) -> Tracer:
    if granularity not in ("line", "instruction"):
        raise InvalidArgument(f"granularity must be 'line' or 'instruction', not {granularity!r}")
    has_monitoring = hasattr(sys, "monitoring")
    if mechanism == "auto":
        mechanism = "monitoring" if has_monitoring else "settrace"
    if mechanism == "monitoring":
        if not has_monitoring:
            raise InvalidArgument("tracing='monitoring' needs Python 3.12 or newer; use 'settrace'")
        return MonitoringTracer(under_test, granularity, accesses, switching)
    if mechanism == "settrace":
        return SettraceTracer(under_test, granularity, accesses, switching)
    raise InvalidArgument(f"tracing must be 'auto', 'settrace' or 'monitoring', not {mechanism!r}")
