"""The settrace tracer's opcode events: on only where an instruction of the line is a switch
point or reads shared state, and never missing one."""

from __future__ import annotations

import dis
import importlib.util
import inspect
import sys
import threading
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

import races
from races.core.access import ACCESSES
from races.core.codefilter import CodeFilter
from races.core.focus import Focus
from races.core.instructions import INSTRUCTIONS
from races.core.strategies.base import DefaultChooser
from races.runtimes.threads.session import Session
from races.runtimes.threads.tracing import SettraceTracer
from races.vocabulary.kinds import StepKind

total = 0


def computes(n: int) -> int:
    local = 0
    for i in range(n):
        local += i * i
    return local


def two_pieces(n: int, box: list[int]) -> None:
    while n > len(box):  # compiled twice on 3.11: before the loop and at its end
        n -= 1


def only_locals(a: int, b: int) -> int:
    return a * b + a


def mixed(lock: threading.Lock, box: dict[str, int]) -> int:
    try:
        with lock:
            box["n"] = box.get("n", 0) + 1 if box else total
    except KeyError:
        return -1
    return sum(v for v in box.values() if v)


def guarded(a: int) -> int:
    try:
        b = a  # within the frame: no switch point, nothing to see
    except ZeroDivisionError:  # reads a global: this line wants opcode events
        return 0
    return b


def lineno(instruction: dis.Instruction) -> int | None:
    return instruction.positions.lineno if instruction.positions else None


def offsets_of(code: CodeType, line: int) -> list[int]:
    return [i.offset for i in dis.get_instructions(code) if lineno(i) == line]


def line_of(function: Any, text: str) -> int:
    lines, first = inspect.getsourcelines(function)
    return first + next(n for n, source in enumerate(lines) if text in source)


def table(function: Any, *, switching: bool = False) -> dict[int, bool]:
    tracer = SettraceTracer(CodeFilter(), "instruction", accesses=True, switching=switching)
    return tracer._opcode_lines(function.__code__, ACCESSES.probes)


def test_a_loop_over_locals_runs_without_opcode_events() -> None:
    flags = table(computes)
    body = line_of(computes, "local += i * i")
    assert all(flags[o] is False for o in offsets_of(computes.__code__, body))
    # The loop's line reads the global `range` first: on at its start, off once past it
    # (on 3.12+ the loop's jump back is on that line too, a second piece of it).
    header = offsets_of(computes.__code__, line_of(computes, "for i in"))
    probes = ACCESSES.probes(computes.__code__)
    assert flags[header[0]] is True
    last_probe = max(o for o in header if o in probes)
    if sys.version_info < (3, 12):
        assert all(flags[o] is False for o in header if o > last_probe)


def test_every_wanted_instruction_is_reached_with_opcode_events_on() -> None:
    """From any line event at or before a wanted instruction of the same line, the flag is
    on: no switch point or access is ever skipped."""
    for function in (computes, two_pieces, only_locals, mixed):
        code = function.__code__
        for switching in (False, True):
            flags = table(function, switching=switching)
            wanted = set(ACCESSES.probes(code))
            if switching:
                wanted |= INSTRUCTIONS.switch_offsets(code)
            for instruction in dis.get_instructions(code):
                line = lineno(instruction)
                later = [
                    i.offset
                    for i in dis.get_instructions(code)
                    if lineno(i) == line and i.offset >= instruction.offset
                ]
                if any(o in wanted for o in later):
                    assert flags[instruction.offset], (function.__name__, instruction)


def test_a_line_in_two_pieces_keeps_opcode_events_in_both() -> None:
    code = two_pieces.__code__
    flags = table(two_pieces)
    condition = offsets_of(code, line_of(two_pieces, "while n >"))
    assert all(flags[o] for o in condition)


def test_code_with_nothing_to_see_is_not_traced_at_all() -> None:
    assert table(only_locals) == {}


def test_a_race_inside_a_loop_is_still_found_with_settrace() -> None:
    def scenario() -> None:
        def work() -> None:
            global total
            for _ in range(3):
                computes(5)
                total += 1

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    global total
    total = 0
    result = races.detect(scenario, tracing="settrace", threads="scheduled")
    assert result.failed and "total" in result.render()
    found = races.explore(scenario, strategy="dpor", tracing="settrace", budget=50)
    assert found.failed


def test_an_exception_handlers_first_instruction_keeps_no_opcode_events_on() -> None:
    """A handler's first instructions have no line (on 3.11): were they wanted like one,
    every line of a function with a handler would want opcode events. The exception event
    before them turns opcode events on instead."""
    code = guarded.__code__
    entry = {i.offset for i in dis.get_instructions(code) if i.opname == "PUSH_EXC_INFO"}
    assert entry and entry <= INSTRUCTIONS.switch_offsets(code)
    flags = table(guarded, switching=True)
    body = offsets_of(code, line_of(guarded, "b = a"))
    assert not any(flags[o] for o in body)
    assert flags[offsets_of(code, line_of(guarded, "except ZeroDivisionError"))[0]]


def lookup(table: dict[str, int]) -> int:
    try:
        return table["missing"]
    except KeyError:
        return 0


def test_a_switch_point_at_a_handlers_first_instruction_is_reached() -> None:
    """Even when the line that raised had its opcode events off (all of it quiet)."""
    code = lookup.__code__
    raising = offsets_of(code, line_of(lookup, 'return table["missing"]'))
    entry = next(i.offset for i in dis.get_instructions(code) if i.opname == "PUSH_EXC_INFO")

    def scenario() -> None:
        thread = threading.Thread(target=lookup, args=({},))
        thread.start()
        thread.join()

    with Session(scenario, tracing="settrace") as session:
        session.focus = Focus()
        session.focus.snapshot = {id(code): frozenset(raising)}
        outcome = session.run(DefaultChooser())
    reached = {(entry[2], entry[3]) for entry in outcome.trace if entry[1] == StepKind.INSTRUCTION}
    assert (code, entry) in reached and not any((code, o) in reached for o in raising)


#: A function whose last line's instructions take extended arguments (their name is the
#: 301st): 3.11's settrace reports such an instruction at its ``EXTENDED_ARG`` prefix.
WIDE = "def bump(box):\n{}\n    box.target = box.target + 1\n".format(
    "\n".join(f"    box.name{n} = {n}" for n in range(300))
)


@pytest.mark.parametrize("tracing", ["auto", "settrace"])
def test_an_access_by_an_instruction_with_an_extended_argument_is_seen(
    tracing: str, tmp_path: Path
) -> None:
    path = tmp_path / "wide.py"
    path.write_text(WIDE)
    spec = importlib.util.spec_from_file_location("wide", path)
    assert spec is not None and spec.loader is not None
    wide = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wide)
    names = {i.argval for i in dis.get_instructions(wide.bump.__code__) if i.arg and i.arg > 255}
    assert "target" in names  # the accesses to see take extended arguments

    class Box:
        target = 0

    def scenario() -> None:
        box = Box()
        threads = [threading.Thread(target=wide.bump, args=(box,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    result = races.detect(scenario, tracing=tracing, threads="scheduled")
    assert result.failed and "Box.target" in result.render()
