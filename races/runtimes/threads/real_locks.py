"""Which real lock a blocked thread waits for, read from where its Python code stands.

A controlled thread that stops moving between two steps is blocked in a call races does
not control. Most often it waits for a real lock: one made before the exploration and
taken by code races does not trace (the standard library, an excluded package), which
another controlled thread holds while races keeps it stopped at a switch point. Nobody
will release it, so waiting for the watchdog only delays the verdict.

The lock is found without running any of the program's code: the instruction the thread's
innermost frame stands on is a ``with`` or a call of ``acquire``, and the expression that
names the lock is a chain of loads (``lock``, ``self._lock``, ``module.LOCK``) that is
evaluated by looking in namespaces, never by calling a property.
"""

from __future__ import annotations

import dis
import inspect
import re
from types import CodeType, FrameType
from typing import Any

from races.core.codekeys import keep
from races.runtimes.threads import births

# The real types: while exploring, `_thread`'s names are models.
_REAL_LOCK_TYPES = (births.REAL_LOCK_TYPE, births.REAL_RLOCK)
_ENTERS = frozenset({"BEFORE_WITH"})
_CALLS = frozenset({"CALL", "CALL_KW"})  # CALL_KW: 3.13
_ACQUIRES = frozenset({"acquire", "acquire_lock", "__enter__"})
_ATTRIBUTES = frozenset({"LOAD_ATTR", "LOAD_METHOD"})
_LOCALS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_DEREF"})
_OWNER = re.compile(r"owner=(\d+)")


class RealLockWait:
    """A thread waits for (or holds) ``lock``, a real lock that is held: the code names
    it ``expression``, in ``frame``. ``owner`` is the ident of the thread that holds it,
    for an RLock (a Lock does not know its owner), read when the wait was found."""

    def __init__(self, lock: Any, expression: str, frame: FrameType) -> None:
        self.lock = lock
        self.expression = expression
        self.where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        self.function = frame.f_code.co_qualname
        self.kind = "Lock" if type(lock) is births.REAL_LOCK_TYPE else "RLock"
        found = _OWNER.search(repr(lock)) if self.kind == "RLock" else None
        self.owner = int(found.group(1)) if found else None

    def born(self) -> str | None:
        """Where the lock was made, when races' birth records were on by then."""
        return births.where(self.lock)


def waited_for(frame: FrameType) -> RealLockWait | None:
    """The held real lock that ``frame``, the innermost frame of a blocked thread, waits
    for; None when it stands elsewhere or the lock cannot be named without running code."""
    code = frame.f_code
    instructions = list(dis.get_instructions(code))
    at = next((i for i, ins in enumerate(instructions) if ins.offset == frame.f_lasti), None)
    if at is None:
        return None
    if instructions[at].opname in _ENTERS:
        end = at - 1
    elif instructions[at].opname in _CALLS:
        # The callee is the nearest `.acquire` loaded before the call; its arguments, if
        # any, are loaded between the two.
        end = next(
            (
                i - 1
                for i in range(at - 1, max(at - 12, -1), -1)
                if instructions[i].opname in _ATTRIBUTES and instructions[i].argval in _ACQUIRES
            ),
            -2,
        )
    else:
        return None
    names = _chain(instructions, end)
    if names is None:
        return None
    lock = _evaluate(frame, names)
    if type(lock) not in _REAL_LOCK_TYPES or not _held(lock):
        return None
    return RealLockWait(lock, ".".join(names[1:]), frame)


def held_around(frame: FrameType) -> RealLockWait | None:
    """A real lock that ``frame``, a frame of code races does not trace, holds around the
    instruction it stands on (a call, when another function runs above it): the manager
    of a ``with`` block around it, or a lock the function called ``acquire`` on earlier.
    None when it holds none that can be named without running code."""
    code = frame.f_code
    try:
        found = _holders[id(code)]
    except KeyError:
        found = _holders[keep(code)] = _holding_places(code)
    offset = frame.f_lasti
    for start, end, names in found:
        if start <= offset < end:
            lock = _evaluate(frame, names)
            if type(lock) in _REAL_LOCK_TYPES and _held(lock) and _mine(lock):
                return RealLockWait(lock, ".".join(names[1:]), frame)
    return None


#: Per code object (by id, ``races.core.codekeys``): the offsets where it may hold a lock,
#: ``[start, end)``, and the loads that name the lock.
_holders: dict[int, list[tuple[int, int, list[str]]]] = {}


def _holding_places(code: CodeType) -> list[tuple[int, int, list[str]]]:
    """Each ``with`` body (from the exception table: its handler starts with
    ``PUSH_EXC_INFO, WITH_EXCEPT_START``, and ``BEFORE_WITH`` comes just before it), and
    the rest of the function after each ``.acquire()`` call."""
    bytecode = dis.Bytecode(code)
    instructions = list(bytecode)
    index = {ins.offset: i for i, ins in enumerate(instructions)}
    bodies: dict[int, list[int]] = {}  # handler -> [first, last] offset it protects
    for entry in bytecode.exception_entries:  # type: ignore[attr-defined]
        i = index.get(entry.target)
        if (
            i is not None
            and i + 1 < len(instructions)
            and instructions[i].opname == "PUSH_EXC_INFO"
            and instructions[i + 1].opname == "WITH_EXCEPT_START"
        ):
            body = bodies.setdefault(entry.target, [entry.start, entry.end])
            body[0], body[1] = min(body[0], entry.start), max(body[1], entry.end)
    places = []
    for start, end in bodies.values():
        enter = index.get(start - 2)
        if enter is not None and instructions[enter].opname in _ENTERS:
            names = _chain(instructions, enter - 1)
            if names is not None:
                places.append((start, end, names))
    end_of_code = instructions[-1].offset + 2 if instructions else 0
    for i, ins in enumerate(instructions):
        if ins.opname in _ATTRIBUTES and ins.argval in _ACQUIRES and ins.argval != "__enter__":
            names = _chain(instructions, i - 1)
            if names is not None:
                places.append((ins.offset, end_of_code, names))
    return places


def _mine(lock: Any) -> bool:
    """Whether the calling thread holds ``lock``, as far as it can tell: an RLock knows
    its owner; a Lock does not, and one that is held is taken to be."""
    return type(lock) is births.REAL_LOCK_TYPE or bool(lock._is_owned())


def _chain(instructions: list[dis.Instruction], end: int) -> list[str] | None:
    """``[scope, name, attribute...]`` for the loads that end at ``end``."""
    attributes: list[str] = []
    i = end
    while i >= 0 and instructions[i].opname in _ATTRIBUTES:
        attributes.append(str(instructions[i].argval))
        i -= 1
    if i < 0:
        return None
    load = instructions[i]
    if load.opname in _LOCALS:
        scope, name = "local", str(load.argval)
    elif load.opname == "LOAD_FAST_LOAD_FAST":  # 3.13: two locals at once, ours second
        scope, name = "local", str(load.argval[1])
    elif load.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
        scope, name = "global", str(load.argval)
    else:
        return None
    return [scope, name, *reversed(attributes)]


def _evaluate(frame: FrameType, names: list[str]) -> Any:
    scope, name, *attributes = names
    missing = object()
    value: Any = missing
    if scope == "local":
        value = frame.f_locals.get(name, missing)
    if value is missing:
        value = frame.f_globals.get(name, missing)
    if value is missing:
        return None
    for attribute in attributes:
        try:
            # Never a property or a __getattr__: the program's code must not run here.
            value = inspect.getattr_static(value, attribute)
        except AttributeError:
            return None
    return value


def _held(lock: Any) -> bool:
    if type(lock) is births.REAL_LOCK_TYPE:
        return bool(lock.locked())
    return repr(lock).startswith("<locked")
