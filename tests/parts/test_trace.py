"""Traces: a run's compact records turned into steps, and steps into a table.

The records are made by hand, as a run would have left them: ``(thread, kind, a, b)``,
where a line or instruction names a code object of this file (``work`` below) and a
line number or an instruction offset. No scenario runs.
"""

from __future__ import annotations

import dis
import os
from typing import Any

import pytest

from races.core.trace import Trace, build_trace, describe_record
from races.vocabulary.kinds import StepKind
from races.vocabulary.outcome import Outcome

LINE, INSTRUCTION, BLOCK, FINISH = (
    StepKind.LINE,
    StepKind.INSTRUCTION,
    StepKind.BLOCK,
    StepKind.FINISH,
)
SLEEP, EVENT, AWAIT, WAIT = StepKind.SLEEP, StepKind.EVENT, StepKind.AWAIT, StepKind.WAIT

HERE = __file__
SHORT = os.path.basename(HERE)


def work() -> int:
    x = 1
    y = x + 1
    return y


CODE = work.__code__
L1, L2, L3 = CODE.co_firstlineno + 1, CODE.co_firstlineno + 2, CODE.co_firstlineno + 3
SOURCE = {L1: "x = 1", L2: "y = x + 1", L3: "return y"}
NAMES = ["Main", "Thread-1"]

Record = tuple[int, StepKind, Any, Any]


def line(thread: int, lineno: int) -> Record:
    return (thread, LINE, CODE, lineno)


def finish(thread: int) -> Record:
    return (thread, FINISH, None, None)


def instructions_on(lineno: int) -> list[tuple[int, str]]:
    """(offset, 'OPNAME argrepr') of the instructions of ``work`` on ``lineno``."""
    return [
        (ins.offset, f"{ins.opname} {ins.argrepr}".strip())
        for ins in dis.get_instructions(CODE)
        if ins.positions is not None and ins.positions.lineno == lineno
    ]


def outcome(records: list[Record], snapshots: bool = False, names: list[str] = NAMES) -> Outcome:
    """A passing run of ``records``; with ``snapshots``, the value ``s<i>`` is what a watch
    read at switch point i (and ``s<len>`` after the run), as a session records them."""
    values: list[tuple[str, ...]] = []
    if snapshots:
        values = [(f"s{i}",) for i in range(len(records) + 1)]
    return Outcome(None, len(records), [], list(records), names, values)


# A run where Main is preempted before its second line, Thread-1 runs to its end, and
# Main then resumes and finishes.
PREEMPTED = [
    line(0, L1),  # 1
    line(0, L2),  # 2: preempted here, runs only when Main resumes
    line(1, L1),  # 3
    line(1, L2),  # 4
    finish(1),  # 5
    line(0, L3),  # 6
    finish(0),  # 7
]


# ----------------------------------------------------------------- build_trace


def test_a_thread_that_is_never_preempted_runs_its_steps_in_order() -> None:
    trace = build_trace(outcome([line(0, L1), line(0, L2), line(0, L3), finish(0)]))
    assert [step.index for step in trace] == [1, 2, 3, 4]
    assert [step.event for step in trace] == ["line", "line", "line", "finish"]
    assert [step.source for step in trace] == ["x = 1", "y = x + 1", "return y", ""]
    assert trace.switches() == 0


def test_a_preempted_step_runs_where_its_thread_resumes() -> None:
    trace = build_trace(outcome(PREEMPTED))
    assert [(step.index, step.thread) for step in trace] == [
        (1, 0),
        (3, 1),
        (4, 1),
        (5, 1),
        (2, 0),  # still numbered with its switch point
        (6, 0),
        (7, 0),
    ]
    assert trace[4].lineno == L2


def test_switches_say_why_the_other_thread_ran() -> None:
    trace = build_trace(outcome(PREEMPTED))
    assert {step.index: step.switch for step in trace if step.switch} == {
        3: "preempted",
        2: "finished",
    }
    assert trace.switches() == 2


def test_a_thread_that_blocks_hands_over_with_the_reason_blocked() -> None:
    site = (HERE, L2)
    records = [line(0, L1), (0, BLOCK, "Lock.acquire", site), line(1, L1), finish(1)]
    trace = build_trace(outcome([*records, line(0, L2), finish(0)]))
    assert [(step.index, step.switch) for step in trace] == [
        (1, None),
        (2, None),
        (3, "blocked"),
        (4, None),
        (5, "finished"),
        (6, None),
    ]
    blocked = trace[1]
    assert (blocked.event, blocked.detail, blocked.location) == (
        "block",
        "blocks in Lock.acquire",
        f"{HERE}:{L2}",
    )


def test_a_thread_preempted_before_it_ran_anything_makes_no_switch() -> None:
    """Thread-1 is switched away from at its very first point, so Main never stopped."""
    records = [line(0, L1), line(0, L2), line(1, L1), line(0, L3), finish(0), line(1, L2)]
    trace = build_trace(outcome([*records, finish(1)]))
    assert [step.index for step in trace] == [1, 2, 4, 5, 3, 6, 7]
    assert [step.switch for step in trace] == [None, None, None, None, "finished", None, None]


def test_a_preempted_step_that_never_resumes_is_not_shown() -> None:
    trace = build_trace(outcome([line(0, L1), line(0, L2), line(1, L1), finish(1)]))
    assert [step.index for step in trace] == [1, 3, 4]


def test_watched_values_are_those_after_each_step_ran() -> None:
    trace = build_trace(outcome(PREEMPTED, snapshots=True))
    assert [(step.index, step.values) for step in trace] == [
        (1, ("s1",)),  # read at the next switch point
        (3, ("s3",)),
        (4, ("s4",)),
        (5, ("s4",)),  # a thread that ends hands over at once: the state it left
        (2, ("s5",)),  # read where Main stops again, after its preempted line ran
        (6, ("s6",)),
        (7, ("s7",)),  # the values the session read after the run
    ]


def test_without_snapshots_a_step_has_no_values() -> None:
    assert all(step.values == () for step in build_trace(outcome(PREEMPTED)))


def test_task_steps_run_at_once_and_mark_the_switch_as_an_await() -> None:
    records: list[Record] = [(0, AWAIT, CODE, L1), (1, AWAIT, CODE, L2), (0, AWAIT, CODE, L3)]
    trace = build_trace(outcome(records, snapshots=True))
    assert [(s.index, s.event, s.switch, s.values) for s in trace] == [
        (1, "await", None, ("s1",)),
        (2, "await", "await", ("s2",)),
        (3, "await", "await", ("s3",)),
    ]


def test_greenlet_steps_mark_the_switch_as_waits() -> None:
    records: list[Record] = [(0, WAIT, "Event.wait", (HERE, L1)), (1, WAIT, CODE, L2)]
    first, second = build_trace(outcome(records))
    assert (first.event, first.detail, first.lineno) == ("resume", "Event.wait", L1)
    assert (second.event, second.source, second.switch) == ("resume", "y = x + 1", "waits")


def test_a_sleep_hands_over_with_the_reason_sleeping() -> None:
    records = [(0, SLEEP, 0.25, (HERE, L1)), line(1, L1)]
    first, second = build_trace(outcome(records))
    assert (first.event, first.detail) == ("sleep", "sleep(0.25)")
    assert second.switch == "sleeping"


def test_an_instruction_step_shows_the_instruction_and_its_line() -> None:
    offset, text = instructions_on(L2)[0]
    (step,) = build_trace(outcome([(0, INSTRUCTION, CODE, offset)]))
    assert (step.event, step.instruction, step.lineno) == ("instruction", text, L2)
    assert (step.source, step.describe()) == ("y = x + 1", text)


def test_traces_of_the_same_steps_are_equal() -> None:
    assert build_trace(outcome(PREEMPTED)) == build_trace(outcome(PREEMPTED))
    assert build_trace(outcome(PREEMPTED)) != build_trace(outcome(PREEMPTED[:-1]))
    assert build_trace(outcome(PREEMPTED)) != build_trace(outcome(PREEMPTED, snapshots=True))
    assert build_trace(outcome(PREEMPTED)) != list(build_trace(outcome(PREEMPTED)))


def test_a_trace_is_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(build_trace(outcome(PREEMPTED)))


def test_a_trace_is_a_sequence_of_its_steps() -> None:
    trace = build_trace(outcome(PREEMPTED))
    assert len(trace) == 7
    assert trace[-1].event == "finish"
    assert [step.index for step in trace[1:3]] == [3, 4]
    assert trace.thread_names == NAMES


# ----------------------------------------------------------------- render


def cells(row: str) -> list[str]:
    """A row's cells (rows are right-stripped, so a last empty cell loses its padding)."""
    return [cell.strip() for cell in row.split("|")]


def step_rows(text: str) -> dict[int, list[str]]:
    """The rows of numbered steps, by step number, split into cells."""
    rows = {}
    for row in text.splitlines()[2:]:
        first = cells(row)[0]
        if first.isdigit():
            rows[int(first)] = cells(row)
    return rows


def test_the_rendering_has_a_column_per_thread_named_in_the_header() -> None:
    text = build_trace(outcome(PREEMPTED, snapshots=True), watch=["counter"]).render()
    header, rule = text.splitlines()[:2]
    assert cells(header) == ["step", "Main [0]", "Thread-1 [1]", "counter"]
    assert set(rule) == {"-"}
    rows = step_rows(text)
    assert sorted(rows) == [1, 2, 3, 4, 5, 6, 7]
    for index, thread in [(1, 0), (2, 0), (3, 1), (4, 1), (5, 1), (6, 0), (7, 0)]:
        row = rows[index]
        assert row[1 + thread], f"step {index} is not in its thread's column"
        assert row[2 - thread] == "", f"step {index} is in another thread's column"
    assert rows[1][1] == f"x = 1  ({SHORT}:{L1})"
    assert rows[5][2] == "(finished)"
    assert rows[2][3] == "s5"


def test_an_empty_trace_renders_its_header_alone() -> None:
    text = Trace([], ["Main"], watch=["n"]).render(width=6)
    assert text.splitlines() == [" step | Main [0] | n", "-" * len(" step | Main [0] | n")]


def test_the_rendering_keeps_the_order_the_steps_ran_in() -> None:
    text = build_trace(outcome(PREEMPTED)).render()
    assert list(step_rows(text)) == [1, 3, 4, 5, 2, 6, 7]


def test_the_rendering_marks_each_switch_with_its_reason() -> None:
    text = build_trace(outcome(PREEMPTED)).render()
    marks = [row.strip() for row in text.splitlines() if "~~" in row]
    assert marks == [
        "~~ switch: Main -> Thread-1 (preempted) ~~",
        "~~ switch: Thread-1 -> Main (finished) ~~",
    ]
    lines = text.splitlines()
    mark = next(i for i, row in enumerate(lines) if "(preempted)" in row)
    assert cells(lines[mark + 1])[0] == "3"


def test_the_last_steps_alone_say_how_many_were_left_out() -> None:
    text = build_trace(outcome(PREEMPTED)).render(last=3)
    assert "  ... 4 earlier steps not shown" in text.splitlines()
    assert list(step_rows(text)) == [2, 6, 7]
    # The switch into the first shown step is still marked.
    assert "~~ switch: Thread-1 -> Main (finished) ~~" in text


def test_asking_for_more_steps_than_the_run_has_shows_them_all() -> None:
    trace = build_trace(outcome(PREEMPTED))
    assert trace.render(last=7) == trace.render()
    assert "earlier steps not shown" not in trace.render(last=100)


def test_instructions_are_headed_by_their_source_line_once_per_line() -> None:
    (o1, t1), (o2, t2) = instructions_on(L2)[:2]
    records = [(0, INSTRUCTION, CODE, o1), (0, INSTRUCTION, CODE, o2)]
    lines = build_trace(outcome(records)).render().splitlines()[2:]
    assert [cells(row)[:2] for row in lines] == [
        ["", f"y = x + 1  ({SHORT}:{L2})"],
        ["1", t1],
        ["2", t2],
    ]


def test_a_cell_too_long_for_its_column_is_cut_short() -> None:
    text = build_trace(outcome([line(0, L2)], names=["Main"])).render(width=12)
    row = step_rows(text)[1]
    assert row[1] == "y = x + 1..."
    assert len(row[1]) == 12


# ----------------------------------------------------------------- describe_record


def test_a_line_is_described_by_its_thread_source_and_place() -> None:
    assert describe_record(line(1, L1), NAMES) == f"Thread-1 `x = 1` at {SHORT}:{L1}"


def test_an_instruction_is_described_with_the_line_it_belongs_to() -> None:
    offset, text = instructions_on(L3)[0]
    record = (0, INSTRUCTION, CODE, offset)
    assert describe_record(record, NAMES) == f"Main {text} of `return y` at {SHORT}:{L3}"


def test_a_block_and_a_finish_are_described_in_words() -> None:
    block = (1, BLOCK, "Queue.get", (HERE, L2))
    assert describe_record(block, NAMES) == f"Thread-1 blocks in Queue.get at {SHORT}:{L2}"
    assert describe_record(finish(0), NAMES) == "Main (finished)"


def test_an_event_without_a_place_is_described_by_what_happened() -> None:
    assert describe_record((0, EVENT, "step of Task-2", None), NAMES) == "Main step of Task-2"


def test_a_line_whose_source_is_unknown_is_described_by_its_place() -> None:
    code = compile("pass\n", "<nowhere>", "exec")
    assert describe_record((0, LINE, code, 1), NAMES) == "Main at <nowhere>:1"


def commented() -> int:
    total = 1  # two spaces before a comment, as PEP 8 asks
    return total


def test_a_described_line_quotes_its_source_exactly() -> None:
    code = commented.__code__
    lineno = code.co_firstlineno + 1
    assert describe_record((0, LINE, code, lineno), NAMES) == (
        f"Main `total = 1  # two spaces before a comment, as PEP 8 asks` at {SHORT}:{lineno}"
    )
