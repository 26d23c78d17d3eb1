"""Which code is under test, and the trace hooks that put switch points into it.

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
import fnmatch
import importlib.util
import os
import sys
import sysconfig
import threading
from collections.abc import Sequence
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, Literal

from races.core.sites import is_races_internal
from races.runtimes.threads.execution import INSTRUCTION, LINE

if TYPE_CHECKING:
    from races.runtimes.threads.execution import ControlledThread, Execution

Granularity = Literal["line", "instruction"]
Mechanism = Literal["auto", "settrace", "monitoring"]

# Test and tooling infrastructure a scenario never means to test.
_INFRASTRUCTURE = (
    "_pytest",
    "pytest",
    "pluggy",
    "hypothesis",
    "coverage",
    "xdist",
    "execnet",
    "pytest_timeout",
    "_hypothesis_pytestplugin",
    "nox",
    "_distutils_hack",
    "setuptools",
    "pkg_resources",
    "pip",
)

_FRAME_LOCAL_OPS = frozenset(
    {
        "NOP",
        "RESUME",
        "CACHE",
        "EXTENDED_ARG",
        "PRECALL",
        "KW_NAMES",
        "PUSH_NULL",
        "LOAD_FAST",
        "LOAD_FAST_CHECK",
        "LOAD_FAST_AND_CLEAR",
        "LOAD_FAST_LOAD_FAST",
        "STORE_FAST",
        "STORE_FAST_LOAD_FAST",
        "STORE_FAST_STORE_FAST",
        "DELETE_FAST",
        "LOAD_CONST",
        "LOAD_SMALL_INT",
        "RETURN_CONST",
        "POP_TOP",
        "COPY",
        "SWAP",
        "JUMP_FORWARD",
        "JUMP_BACKWARD",
        "JUMP_BACKWARD_NO_INTERRUPT",
        "JUMP",
        "JUMP_NO_INTERRUPT",
        "MAKE_CELL",
        "COPY_FREE_VARS",
        "NOT_TAKEN",
        "END_FOR",
        "POP_ITER",
        "END_SEND",
        "INTERPRETER_EXIT",
        "RESERVED",
        "GEN_START",
    }
)


class CodeFilter:
    """Decides, once per code object, whether its lines belong to the code under test.

    By default that is everything but the standard library, races' own machinery (its
    catalogue of cases is under test), test infrastructure, and code without a source file. ``include`` and ``exclude``
    take module names (``mypkg`` covers ``mypkg.sub``) or path globs (``*/vendored/*``);
    ``exclude`` wins, then ``include``, then the default.
    """

    def __init__(self, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
        paths = sysconfig.get_paths()
        self._stdlib = tuple(
            {
                os.path.realpath(paths["stdlib"]),
                os.path.realpath(paths["platstdlib"]),
                paths["stdlib"],
                paths["platstdlib"],
            }
        )
        self._site = tuple(
            {
                os.path.realpath(paths["purelib"]),
                os.path.realpath(paths["platlib"]),
                paths["purelib"],
                paths["platlib"],
            }
        )
        self._infrastructure = tuple(_package_dirs(_INFRASTRUCTURE))
        self._include = [_pattern(p) for p in include]
        self._exclude = [_pattern(p) for p in exclude]
        self._cache: dict[CodeType, bool] = {}

    def __call__(self, code: CodeType) -> bool:
        try:
            return self._cache[code]
        except KeyError:
            result = self._cache[code] = self.filename_under_test(code.co_filename)
            return result

    def filename_under_test(self, filename: str) -> bool:
        if any(match(filename) for match in self._exclude):
            return False
        if any(match(filename) for match in self._include):
            return True
        # Generated code (dataclass methods, namedtuples, exec'd strings) has no source to
        # show and is most often the library's, not the user's.
        if filename.startswith("<") or is_races_internal(filename):
            return False
        if filename.startswith(self._infrastructure):
            return False
        return not (filename.startswith(self._stdlib) and not filename.startswith(self._site))


def _package_dirs(names: Sequence[str]) -> list[str]:
    """Where these top-level packages live, whether or not they are imported yet."""
    dirs: list[str] = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.origin is None:
            continue
        if spec.submodule_search_locations:
            dirs.extend(os.path.join(p, "") for p in spec.submodule_search_locations)
        else:
            dirs.append(spec.origin)
    return dirs


def _pattern(text: str) -> Any:
    if any(ch in text for ch in "/*?[") or text.endswith(".py"):
        return lambda filename: fnmatch.fnmatch(filename, text)
    loaded = sys.modules.get(text)
    if loaded is not None and getattr(loaded, "__spec__", None) is None:
        # A script run as `python script.py` is `__main__`, with no spec: its file says it.
        origin, package = getattr(loaded, "__file__", None), hasattr(loaded, "__path__")
    else:
        try:
            spec = importlib.util.find_spec(text)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        package = spec is not None and bool(spec.submodule_search_locations)
    if origin is None:
        raise ValueError(
            f"include/exclude: no module named {text!r}; give a module name that can be "
            "imported, or a path glob such as '*/mypkg/*'"
        )
    prefix = os.path.dirname(origin) + os.sep if package else origin
    return lambda filename: filename.startswith(prefix)


class InstructionTable:
    """Per code object: which offsets are switch points, and how to show an instruction."""

    def __init__(self) -> None:
        self._switch: dict[CodeType, frozenset[int]] = {}
        self._info: dict[CodeType, dict[int, tuple[int, str]]] = {}

    def switch_offsets(self, code: CodeType) -> frozenset[int]:
        try:
            return self._switch[code]
        except KeyError:
            offsets = frozenset(
                i.offset for i in dis.get_instructions(code) if i.opname not in _FRAME_LOCAL_OPS
            )
            self._switch[code] = offsets
            return offsets

    def describe(self, code: CodeType, offset: int) -> tuple[int, str]:
        """(line number, 'LOAD_GLOBAL num') for the instruction at ``offset``."""
        info = self._info.get(code)
        if info is None:
            info = {}
            line = code.co_firstlineno
            for ins in dis.get_instructions(code):
                if ins.positions is not None and ins.positions.lineno is not None:
                    line = ins.positions.lineno
                text = ins.opname if not ins.argrepr else f"{ins.opname} {ins.argrepr}"
                info[ins.offset] = (line, text)
            self._info[code] = info
        return info.get(offset, (code.co_firstlineno, "?"))


INSTRUCTIONS = InstructionTable()


class Tracer:
    """Creates switch points in code under test for whichever execution is active."""

    def __init__(self, under_test: CodeFilter, granularity: Granularity) -> None:
        self.under_test = under_test
        self.granularity = granularity
        self.execution: Execution | None = None

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

    def install(self) -> None:
        # CPython's Thread bootstrap would install threading.settrace()'s hook over ours.
        self._saved_hook = threading._trace_hook  # type: ignore[attr-defined]
        threading._trace_hook = None  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        threading._trace_hook = self._saved_hook  # type: ignore[attr-defined]

    def start_thread(self, ex: Execution, rec: ControlledThread) -> None:
        under_test = self.under_test
        switch_point = ex.switch_point
        by_instruction = self.granularity == "instruction"
        switch_offsets = INSTRUCTIONS.switch_offsets

        def local(frame: FrameType, event: str, arg: object) -> Any:
            if event == "opcode":
                if frame.f_lasti in switch_offsets(frame.f_code):
                    switch_point(rec, INSTRUCTION, frame.f_code, frame.f_lasti)
            elif event == "line":
                if by_instruction:
                    # 3.12+ may ignore the flag set at 'call' for a function's first call.
                    frame.f_trace_opcodes = True
                else:
                    switch_point(rec, LINE, frame.f_code, frame.f_lineno)
            return local

        def on_call(frame: FrameType, event: str, arg: object) -> Any:
            if not under_test(frame.f_code):
                return None
            if by_instruction:
                frame.f_trace_opcodes = True
            return local

        sys.settrace(on_call)

    def stop_thread(self) -> None:
        sys.settrace(None)


class MonitoringTracer(Tracer):
    """``sys.monitoring`` (3.12+): one tool for every thread; non-switch locations disabled."""

    # 1 is coverage's; Hypothesis' explain phase has been seen to leave 3 behind.
    _CANDIDATE_IDS = (0, 4, 5, 2)

    def install(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        for tool in self._CANDIDATE_IDS:
            if mon.get_tool(tool) is None:
                break
        else:
            raise RuntimeError(
                "races: every sys.monitoring tool id it can use (0, 2, 4, 5) is taken by "
                "another tool; pass tracing='settrace' to explore()"
            )
        self.tool = tool
        mon.use_tool_id(tool, "races")
        disable = mon.DISABLE
        under_test = self.under_test
        tracer = self

        if self.granularity == "instruction":
            switch_offsets = INSTRUCTIONS.switch_offsets
            event = mon.events.INSTRUCTION

            def callback(code: CodeType, offset: int) -> Any:
                if not under_test(code) or offset not in switch_offsets(code):
                    return disable
                ex = tracer.execution
                if ex is not None:
                    rec = ex.by_ident.get(_get_ident())
                    if rec is not None:
                        ex.switch_point(rec, INSTRUCTION, code, offset)
                return None
        else:
            event = mon.events.LINE

            def callback(code: CodeType, offset: int) -> Any:
                if not under_test(code):
                    return disable
                ex = tracer.execution
                if ex is not None:
                    rec = ex.by_ident.get(_get_ident())
                    if rec is not None:
                        ex.switch_point(rec, LINE, code, offset)
                return None

        self._event = event
        mon.register_callback(tool, event, callback)
        mon.set_events(tool, event)

    def uninstall(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        mon.set_events(self.tool, 0)
        mon.register_callback(self.tool, self._event, None)
        mon.free_tool_id(self.tool)
        # Locations we disabled stay disabled for every tool until this is called.
        mon.restart_events()


_get_ident = threading.get_ident


def make_tracer(under_test: CodeFilter, granularity: Granularity, mechanism: Mechanism) -> Tracer:
    if granularity not in ("line", "instruction"):
        raise ValueError(f"granularity must be 'line' or 'instruction', not {granularity!r}")
    has_monitoring = hasattr(sys, "monitoring")
    if mechanism == "auto":
        mechanism = "monitoring" if has_monitoring else "settrace"
    if mechanism == "monitoring":
        if not has_monitoring:
            raise ValueError("tracing='monitoring' needs Python 3.12 or newer; use 'settrace'")
        return MonitoringTracer(under_test, granularity)
    if mechanism == "settrace":
        return SettraceTracer(under_test, granularity)
    raise ValueError(f"tracing must be 'auto', 'settrace' or 'monitoring', not {mechanism!r}")
