"""Instructions as switch points: which ones can touch shared state, and how to show one.

Instructions that only move values within the frame (``LOAD_FAST``, ``LOAD_CONST``, ...)
commute with everything other threads do, so switching before them adds schedules and
finds nothing. The table is kept per code object, across runs and sessions.
"""

from __future__ import annotations

import dis
import sys
from types import CodeType

from races.core.codekeys import keep

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

#: Instructions reached only by an exception (a handler's first, the clean-up that raises
#: again): they have no line, and only an exception event can come before them.
REACHED_BY_EXCEPTIONS = frozenset({"PUSH_EXC_INFO", "POP_EXCEPT", "RERAISE"})


#: Whether an instruction with an extended argument has its opcode event at the prefix.
_EXTENDED_REPORTED_AT_PREFIX = sys.version_info < (3, 12)


class InstructionTable:
    """Per code object: which offsets are switch points, and how to show an instruction."""

    def __init__(self) -> None:
        # By id (``races.core.codekeys``).
        self._switch: dict[int, frozenset[int]] = {}
        self._info: dict[int, dict[int, tuple[int, str]]] = {}
        self._extended: dict[int, dict[int, int]] = {}

    def switch_offsets(self, code: CodeType) -> frozenset[int]:
        try:
            return self._switch[id(code)]
        except KeyError:
            offsets = frozenset(
                i.offset for i in dis.get_instructions(code) if i.opname not in _FRAME_LOCAL_OPS
            )
            self._switch[keep(code)] = offsets
            return offsets

    def extended(self, code: CodeType) -> dict[int, int]:
        """For each instruction with an extended argument, the offset ``settrace`` reports
        it at on 3.11 (its first ``EXTENDED_ARG``, whose handler runs it without an opcode
        event of its own), mapped to its own offset. Empty on later Pythons, which report
        the instruction itself."""
        try:
            return self._extended[id(code)]
        except KeyError:
            found: dict[int, int] = {}
            if _EXTENDED_REPORTED_AT_PREFIX:
                first = None
                for ins in dis.get_instructions(code):
                    if ins.opname == "EXTENDED_ARG":
                        first = ins.offset if first is None else first
                    elif first is not None:
                        found[first] = ins.offset
                        first = None
            self._extended[keep(code)] = found
            return found

    def describe(self, code: CodeType, offset: int) -> tuple[int, str]:
        """(line number, 'LOAD_GLOBAL num') for the instruction at ``offset``."""
        info = self._info.get(id(code))
        if info is None:
            info = {}
            line = code.co_firstlineno
            for ins in dis.get_instructions(code):
                if ins.positions is not None and ins.positions.lineno is not None:
                    line = ins.positions.lineno
                text = ins.opname if not ins.argrepr else f"{ins.opname} {ins.argrepr}"
                info[ins.offset] = (line, text)
            self._info[keep(code)] = info
        found = info.get(offset)
        if found is None:
            # Inside an instruction's inline cache (a frame's f_lasti during a call): the
            # instruction it belongs to is the last one before it.
            before = [o for o in info if o <= offset]
            found = info[max(before)] if before else (code.co_firstlineno, "?")
        return found


INSTRUCTIONS = InstructionTable()
