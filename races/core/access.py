"""What each step reads and writes: the access model.

Before an instruction of the code under test runs, races asks what shared locations it
is about to touch. The answer comes from the instruction and from the *source
expression* it executes: CPython 3.11+ records for every instruction the span of source
it came from, so ``STORE_ATTR balance`` at ``self.balance`` is the ``ast.Attribute`` node
``self.balance``, whose owner expression ``self`` is evaluated in the frame the moment
before the instruction runs (nothing else runs in between). That is exact where the
value stack cannot be read (3.12 and 3.13 do not expose it to trace functions) and it
names each location as the program does: ``counter``, ``Account.balance``,
``stock['apples']``, ``lst``.

Locations: module globals, closure cells, object attributes (``__slots__`` included), and
the items of the builtin containers (``dict``, ``list``, ``set``, ``deque``,
``bytearray``) by identity and key, with ``WHOLE`` standing for a whole container
(iteration, ``len``, ``append``). A builtin operation is one atomic access: ``append``
both reads and writes its list, as one ``UPDATE``.

What cannot be known is said: an owner computed by a call, a property's value, a call into
C code that may touch anything (``opaque``). Consumers stay sound by treating an opaque
step as conflicting with everything.
"""

from __future__ import annotations

import ast
import builtins
import collections
import ctypes
import dis
import functools
import itertools
import linecache
import operator
import re
import sys
import unicodedata
import weakref
from collections.abc import Callable, Hashable
from types import BuiltinFunctionType, CodeType, FrameType, FunctionType, MethodType, ModuleType
from typing import Any

from races.core.codekeys import keep
from races.core.sites import hides_state, in_library, program_caller
from races.vocabulary.access import (
    NOTHING,
    OPAQUE,
    OPAQUE_STEP,
    WHOLE,
    Access,
    Event,
    Kind,
    Location,
    StepAccesses,
)

#: Computes what the instruction at a code location touches, from its frame.
Probe = Callable[[FrameType], StepAccesses]


# ---------------------------------------------------------------------------- values


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

_MISSING = object()
_CONTAINERS = (dict, list, set, collections.deque, bytearray)


def _lookup_name(frame: FrameType, name: str, local: dict[str, Any]) -> Any:
    value = local.get(name, _MISSING)
    if value is _MISSING:
        value = frame.f_globals.get(name, _MISSING)
    if value is _MISSING:
        value = getattr(builtins, name, UNKNOWN)
    return value


def data_attribute(owner: Any, name: str) -> Any:
    """``owner.name`` if it is data (an instance's own attribute, a slot, a module's or a
    class's variable), read without running any code; ``UNKNOWN`` otherwise (a property,
    a method, a computed attribute)."""
    if isinstance(owner, ModuleType):
        return vars(owner).get(name, UNKNOWN)
    try:
        own = object.__getattribute__(owner, "__dict__")
    except AttributeError:
        own = None
    if isinstance(own, dict) and name in own and not isinstance(owner, type):
        return own[name]
    kind = owner if isinstance(owner, type) else type(owner)
    for klass in kind.__mro__:
        found = klass.__dict__.get(name, _MISSING)
        if found is _MISSING:
            continue
        if isinstance(owner, type):  # a class variable, unless it is a descriptor
            return UNKNOWN if hasattr(type(found), "__get__") and not _plain(found) else found
        if type(found).__name__ == "member_descriptor":  # a __slots__ slot
            try:
                return found.__get__(owner, kind)
            except AttributeError:
                return UNKNOWN
        if hasattr(type(found), "__get__"):
            return UNKNOWN  # a method, a property: code runs to compute it
        return found  # a class variable read through an instance (a library's shared lock)
    return UNKNOWN


def _plain(value: Any) -> bool:
    return isinstance(value, (int, float, str, bytes, tuple, list, dict, set, type(None)))


def _item(container: Any, key: Any) -> Any:
    if type(container) in (dict, list, tuple) or isinstance(container, dict):
        try:
            return (
                dict.get(container, key, UNKNOWN) if isinstance(container, dict) else container[key]
            )
        except (IndexError, TypeError, KeyError):
            return UNKNOWN
    return UNKNOWN


_INT_OPERATORS: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
}


def _evaluator(node: ast.expr) -> Callable[[FrameType, dict[str, Any]], Any] | None:
    """A function computing ``node`` in a frame without running any of its code, or None
    when it cannot (a call, an operator: anything with effects or cost)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda frame, local: value
    if isinstance(node, ast.Tuple):
        items = [e for e in node.elts if isinstance(e, ast.Constant)]
        if len(items) == len(node.elts):  # `("P", "S")`: one constant, compiled
            values = tuple(e.value for e in items)
            return lambda frame, local: values
    if isinstance(node, ast.Name):
        name = node.id
        return lambda frame, local: _lookup_name(frame, name, local)
    if isinstance(node, ast.Attribute):
        owner = _evaluator(node.value)
        if owner is None:
            return None
        attr = node.attr

        def attribute(frame: FrameType, local: dict[str, Any]) -> Any:
            value = owner(frame, local)
            return UNKNOWN if value is UNKNOWN else data_attribute(value, attr)

        return attribute
    if isinstance(node, ast.BinOp) and type(node.op) in _INT_OPERATORS:
        # `stripes[i % 2]`, `row[j + 1]`: arithmetic on ints runs no user code.
        left, right = _evaluator(node.left), _evaluator(node.right)
        if left is None or right is None:
            return None
        operate = _INT_OPERATORS[type(node.op)]

        def arithmetic(frame: FrameType, local: dict[str, Any]) -> Any:
            a, b = left(frame, local), right(frame, local)
            if type(a) is not int or type(b) is not int:
                return UNKNOWN
            try:
                return operate(a, b)
            except ArithmeticError:
                return UNKNOWN

        return arithmetic
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
        container = _evaluator(node.value)
        key = _evaluator(node.slice)
        if container is None or key is None:
            return None

        def item(frame: FrameType, local: dict[str, Any]) -> Any:
            value, k = container(frame, local), key(frame, local)
            return UNKNOWN if UNKNOWN in (value, k) else _item(value, k)

        return item
    return None


# ---------------------------------------------------------------------------- names


def attribute_name(owner: Any, attr: str) -> str:
    """``Account.balance`` for an instance's attribute, ``module.x``, ``Class.x``."""
    if isinstance(owner, ModuleType):
        return f"{owner.__name__.rpartition('.')[2]}.{attr}"
    kind = owner if isinstance(owner, type) else type(owner)
    return f"{kind.__qualname__}.{_unmangled(kind, attr)}"


def _unmangled(kind: type, attr: str) -> str:
    """``__size`` for ``_Cache__size``: a private name as its class's code writes it."""
    if attr.startswith("_") and "__" in attr[1:]:
        for klass in kind.__mro__:
            prefix = f"_{klass.__name__.lstrip('_')}"
            if attr.startswith(prefix + "__"):
                return attr[len(prefix) :]
    return attr


def _key_text(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 24 else text[:21] + "..."


# ---------------------------------------------------------------------------- sources


@functools.cache
def _nodes(filename: str) -> dict[tuple[int, int, int, int], list[ast.AST]]:
    """Every node of a source file, by its exact position."""
    source = "".join(linecache.getlines(filename))
    if not source:
        return {}
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return {}
    _mangle_private_names(tree)
    found: dict[tuple[int, int, int, int], list[ast.AST]] = {}
    for node in ast.walk(tree):
        end = getattr(node, "end_col_offset", None)
        if end is not None and getattr(node, "end_lineno", None) is not None:
            key = (node.lineno, node.col_offset, node.end_lineno, end)  # type: ignore[attr-defined]
            found.setdefault(key, []).append(node)
    return found


def _mangle_private_names(tree: ast.AST) -> None:
    """Name each ``self.__size`` in a class body as Python stores it, ``self._Cache__size``:
    the attribute the instruction touches, which the probes read and name."""
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, ast.ClassDef):
            outside = (*node.bases, *node.keywords, *node.decorator_list)
            stack.extend((child, owner) for child in outside)
            stack.extend((child, node.name.lstrip("_")) for child in node.body)
            continue
        if (
            isinstance(node, ast.Attribute)
            and owner
            and node.attr.startswith("__")
            and not node.attr.endswith("__")
        ):
            node.attr = f"_{owner}{node.attr}"
        stack.extend((child, owner) for child in ast.iter_child_nodes(node))


def _node_at(code: CodeType, instruction: dis.Instruction, kinds: tuple[type, ...]) -> Any:
    positions = instruction.positions
    if positions is None or positions.lineno is None or positions.col_offset is None:
        return None
    key = (positions.lineno, positions.col_offset, positions.end_lineno, positions.end_col_offset)
    for node in _nodes(code.co_filename).get(key, ()):  # type: ignore[arg-type]
        if isinstance(node, kinds):
            return node
    return None


def _text(code: CodeType, node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - a name for people only
        return "?"


# ---------------------------------------------------------------------------- cells

# A closure cell is read by LOAD_DEREF from the frame's "localsplus" array, at the
# instruction's argument. Python does not expose that array, so read it where CPython
# 3.11-3.13 keep it: the frame object points at its _PyInterpreterFrame, whose localsplus
# follows eight pointers and three small fields. Checked once against a closure whose
# cell is known; if the layout differs, cells are named by code and variable instead.
_PTR = ctypes.sizeof(ctypes.c_void_p)
_FRAME_DATA = 3 * _PTR  # PyObject_HEAD (refcount, type) and f_back, then f_frame
_LOCALSPLUS = 9 * _PTR  # 8 pointers, then int stacktop and small fields, padded


def _read_localsplus(frame: FrameType, index: int) -> Any:
    data = ctypes.c_void_p.from_address(id(frame) + _FRAME_DATA).value
    if not data:
        return UNKNOWN
    address = ctypes.c_void_p.from_address(data + _LOCALSPLUS + index * _PTR).value
    if not address:
        return UNKNOWN
    return ctypes.cast(address, ctypes.py_object).value


def _probe_cell(marker: object) -> bool:
    """Whether reading a running frame's cells gives the cell a closure really uses."""

    def reader() -> bool:
        frame = sys._getframe()
        index = next(
            i.arg
            for i in dis.get_instructions(reader)
            if i.opname == "LOAD_DEREF" and i.argval == "marker"
        )
        cell = _read_localsplus(frame, index or 0)
        return type(cell).__name__ == "cell" and cell.cell_contents is marker

    try:
        return reader()
    except Exception:  # noqa: BLE001 - any surprise means: do not read frames this way
        return False


CELLS_READABLE = sys.version_info[:2] in ((3, 11), (3, 12), (3, 13)) and _probe_cell(object())


# ---------------------------------------------------------------------------- probes

_LIST_UPDATES = frozenset(
    {"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "__iadd__"}
)
_READS = frozenset({"index", "count", "copy", "keys", "values", "items", "__len__", "__contains__"})
_DICT_KEYED = {"get": Kind.READ, "setdefault": Kind.UPDATE, "pop": Kind.UPDATE}
_DICT_UPDATES = frozenset({"popitem", "clear", "update"})
_SET_KEYED = {"add": Kind.UPDATE, "discard": Kind.UPDATE, "remove": Kind.UPDATE}
_SET_UPDATES = frozenset(
    {
        "pop",
        "clear",
        "update",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)
_DEQUE_UPDATES = frozenset(
    {
        "append",
        "appendleft",
        "pop",
        "popleft",
        "extend",
        "extendleft",
        "rotate",
        "clear",
        "remove",
        "insert",
        "reverse",
    }
)
#: Builtins that read the whole container they are given, and nothing else.
_READING_BUILTINS = frozenset(
    {
        builtins.len, builtins.list, builtins.tuple, builtins.sorted, builtins.sum,
        builtins.min, builtins.max, builtins.any, builtins.all, builtins.set,
        builtins.frozenset, builtins.dict, builtins.iter, builtins.reversed,
    }
)  # fmt: skip
#: Builtins that touch no shared state of the program (beyond their arguments' values).
_PURE_BUILTINS = frozenset(
    {
        builtins.int, builtins.float, builtins.str, builtins.bool, builtins.bytes,
        builtins.repr, builtins.isinstance, builtins.issubclass, builtins.hasattr,
        builtins.id, builtins.abs, builtins.round, builtins.range, builtins.enumerate,
        builtins.zip, builtins.map, builtins.filter, builtins.type, builtins.divmod,
        builtins.hash, builtins.callable, builtins.format, builtins.object, builtins.super,
        builtins.getattr, builtins.chr, builtins.ord, builtins.pow, builtins.slice,
        unicodedata.category, unicodedata.bidirectional, unicodedata.combining,
        unicodedata.decimal, unicodedata.decomposition, unicodedata.digit,
        unicodedata.east_asian_width, unicodedata.is_normalized, unicodedata.lookup,
        unicodedata.mirrored, unicodedata.name, unicodedata.normalize, unicodedata.numeric,
    }
)  # fmt: skip


class Owners:
    """Which object a location belongs to, for one run: its id, while the object lives.

    CPython reuses the address of an object that died for the next one it makes, so two
    threads' private lists, one made after the other died, can share an id, and their
    accesses would look like a conflict on one object. Within a run every owner keeps one
    number of its own: an object that can be watched with a weak reference gets its id,
    and after it dies the next object at that address gets a fresh (negative) number; one
    that cannot (a list, a dict) is kept alive until the run ends, so its id stays its own.
    """

    def __init__(self) -> None:
        self._numbers: dict[int, int] = {}
        self._watch: dict[int, Any] = {}  # id -> the weak reference, or the object kept
        self._died: set[int] = set()
        self._fresh = itertools.count(1)

    def new_run(self) -> None:
        """Let the last run's objects go: the next run numbers its own."""
        self._numbers.clear()
        self._watch.clear()
        self._died.clear()

    def of(self, obj: object) -> int:
        key = id(obj)
        number = self._numbers.get(key)
        if number is not None:
            return number
        number = -next(self._fresh) if key in self._died else key
        watch: Any = obj
        if type(obj).__weakrefoffset__:  # not a list or a dict: asked, not tried (raising costs)
            watch = weakref.ref(obj, functools.partial(self._gone, key))
        self._watch.setdefault(key, watch)
        return self._numbers.setdefault(key, number)  # one number, if two threads race here

    def _gone(self, key: int, ref: Any) -> None:
        if self._watch.get(key) is ref:  # not a weak reference of an earlier run's object
            del self._watch[key]
            self._numbers.pop(key, None)
            self._died.add(key)


#: The owners of the locations of the run in progress (each runtime starts a new run).
OWNERS = Owners()


def container_method(owner: Any, method: str, key: Any) -> Access | None:
    """The access a builtin container's method makes, as one atomic operation."""
    kind = type(owner)
    of = kind.__name__
    number = OWNERS.of(owner)
    whole = Location(number, WHOLE, of=of)
    if issubclass(kind, dict):
        if method in _DICT_KEYED and key is not UNKNOWN:
            return Access(Location(number, _hashable(key), of=of), _DICT_KEYED[method])
        if method in _DICT_UPDATES or method in _DICT_KEYED:
            return Access(whole, Kind.UPDATE)
        if method in _READS:
            return Access(whole, Kind.READ)
    elif issubclass(kind, collections.deque):
        if method in _DEQUE_UPDATES:
            return Access(whole, Kind.UPDATE)
        if method in _READS:
            return Access(whole, Kind.READ)
    elif issubclass(kind, (list, bytearray)):
        if method in _LIST_UPDATES:
            return Access(whole, Kind.UPDATE)
        if method in _READS:
            return Access(whole, Kind.READ)
    elif issubclass(kind, set):
        if method in _SET_KEYED and key is not UNKNOWN:
            return Access(Location(number, _hashable(key), of=of), Kind.UPDATE)
        if method in _SET_UPDATES or method in _SET_KEYED:
            return Access(whole, Kind.UPDATE)
        if (
            method in _READS
            or method.startswith("is")
            or method in ("union", "intersection", "difference")
        ):
            return Access(whole, Kind.READ)
    return None


def _hashable(key: Any) -> Any:
    """``key`` as a location's key: itself, or the whole container if it cannot be one."""
    try:
        hash(key)
    except TypeError:
        return WHOLE
    return key


def _named(access: Access, name: str) -> Access:
    location = access.location
    return Access(Location(location.owner, location.key, name, location.of), access.kind)


def _container_name(text: str, key: Hashable) -> str:
    return text if key is WHOLE else f"{text}[{_key_text(key)}]"


def _opaque_callable(func: Any) -> bool:
    """Whether calling ``func`` may touch shared state races cannot see: C code that is not
    a known pure builtin, or standard-library Python that ``hides_state``. Other Python
    functions are traced (or their locks are modelled)."""
    if isinstance(func, (MethodType, staticmethod, classmethod)):
        func = func.__func__
    if isinstance(func, FunctionType):
        # Traced, or standard-library code whose state modelled primitives order; other
        # standard-library Python (asyncio's loop internals) runs unseen.
        return hides_state(func.__code__, ACCESSES.ordered)
    if isinstance(func, type):
        return False
    if func in _PURE_BUILTINS or func in _READING_BUILTINS:
        return False
    if isinstance(func, functools.partial):
        return _opaque_callable(func.func)
    call = next(
        (k.__dict__["__call__"] for k in type(func).__mro__ if "__call__" in k.__dict__), None
    )
    if isinstance(call, FunctionType):  # an instance of a Python class: its __call__
        return hides_state(call.__code__, ACCESSES.ordered)
    # C code: a builtin, or a C object's call (``lru_cache``'s wrapper keeps a cache,
    # ``itemgetter(1)`` reads the container it is given).
    return True


def compile_probe(code: CodeType, instruction: dis.Instruction) -> Probe | None:
    """The probe for one instruction, or None when it touches no shared location."""
    op = instruction.opname
    if op.startswith("INSTRUMENTED_"):
        op = op[len("INSTRUMENTED_") :]
    name = instruction.argval if isinstance(instruction.argval, str) else ""
    if op in ("LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_FROM_DICT_OR_GLOBALS"):
        return _global_probe(name, Kind.READ if op.startswith("LOAD") else Kind.WRITE)
    if op in ("LOAD_NAME", "STORE_NAME", "DELETE_NAME"):
        return _module_name_probe(name, Kind.READ if op == "LOAD_NAME" else Kind.WRITE)
    if op in (
        "LOAD_DEREF",
        "STORE_DEREF",
        "DELETE_DEREF",
        "LOAD_CLASSDEREF",
        "LOAD_FROM_DICT_OR_DEREF",
    ):
        kind = Kind.READ if op.startswith("LOAD") else Kind.WRITE
        return _cell_probe(code, instruction.arg or 0, name, kind)
    if op in ("LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR", "DELETE_ATTR"):
        node = _node_at(code, instruction, (ast.Attribute,))
        if node is None:
            return None
        kind = Kind.READ if op in ("LOAD_ATTR", "LOAD_METHOD") else Kind.WRITE
        return _attribute_probe(code, node, kind)
    if op in ("BINARY_SUBSCR", "STORE_SUBSCR", "DELETE_SUBSCR", "BINARY_SLICE", "STORE_SLICE"):
        node = _node_at(code, instruction, (ast.Subscript,))
        if node is None:
            return None
        return _subscript_probe(code, node, Kind.READ if op.startswith("BINARY") else Kind.WRITE)
    if op == "CONTAINS_OP":
        node = _node_at(code, instruction, (ast.Compare,))
        if node is None or len(node.comparators) != 1:
            return None
        return _contains_probe(code, node)
    if op in ("GET_ITER", "FOR_ITER"):
        node = _node_at(code, instruction, (ast.For, ast.AsyncFor, ast.expr))
        if isinstance(node, (ast.For, ast.AsyncFor)):
            node = node.iter
        if node is None:
            return None
        return _whole_read_probe(code, node, Kind.ITERATE)
    if "_JUMP_" in op and ("_IF_TRUE" in op or "_IF_FALSE" in op):
        # `if items:` / `while not queue:`: the truth of a container is its length.
        node = _node_at(code, instruction, (ast.If, ast.While, ast.expr))
        if isinstance(node, (ast.If, ast.While)):
            node = node.test
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            node = node.operand
        if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return None
        return _whole_read_probe(code, node)
    if op in ("CALL", "CALL_KW", "CALL_FUNCTION_EX"):
        if instruction.offset in _with_exits(code):
            return _with_exit_probe(code, instruction)
        node = _node_at(code, instruction, (ast.Call,))
        if node is None:
            if _node_at(code, instruction, _COMPREHENSIONS) is not None:
                return None  # 3.11 calls a comprehension's own code, traced like any other
            return lambda frame: OPAQUE  # a call races cannot see into
        return _call_probe(code, node)
    return None


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@functools.cache
def _with_exits(code: CodeType) -> frozenset[int]:
    """The offsets of the calls of ``__exit__`` that end ``with`` blocks normally: on every
    Python, a call of two arguments after three ``None`` constants."""
    found = set()
    nones = 0
    for ins in dis.get_instructions(code):
        if ins.opname in ("PRECALL", "CACHE"):
            continue
        if ins.opname == "CALL" and ins.arg == 2 and nones >= 3:
            found.add(ins.offset)
        nones = nones + 1 if ins.opname == "LOAD_CONST" and ins.argval is None else 0
    return frozenset(found)


def _with_exit_probe(code: CodeType, instruction: dis.Instruction) -> Probe:
    """A ``with`` block's exit: seen when the manager's ``__exit__`` is Python code (the
    program's own, or a modelled primitive's), opaque when it is C code."""
    statement = _node_at(code, instruction, (ast.With, ast.AsyncWith))
    if statement is not None:  # 3.11 and 3.12 place the exit at the whole statement
        managers = [item.context_expr for item in statement.items]
    else:  # 3.13 at the context expression
        expression = _node_at(code, instruction, (ast.expr,))
        if expression is None or id(expression) not in _with_contexts(code.co_filename):
            return lambda frame: OPAQUE
        managers = [expression]
    evaluators = [_evaluator(manager) for manager in managers]
    if any(evaluate is None for evaluate in evaluators):
        return lambda frame: OPAQUE

    def exit_probe(frame: FrameType) -> StepAccesses:
        local = frame.f_locals
        for evaluate in evaluators:
            manager = evaluate(frame, local)  # type: ignore[misc]
            kind = type(manager)
            leave = getattr(kind, "__exit__", None) or getattr(kind, "__aexit__", None)
            if manager is UNKNOWN or leave is None or _opaque_callable(leave):
                return OPAQUE
        return NOTHING  # Python code: traced, or a modelled primitive's

    return exit_probe


@functools.cache
def _with_contexts(filename: str) -> frozenset[int]:
    """The context expressions of every ``with`` statement of a file, by node identity."""
    found: set[int] = set()
    for nodes in _nodes(filename).values():
        for node in nodes:
            if isinstance(node, (ast.With, ast.AsyncWith)):
                found.update(id(item.context_expr) for item in node.items)
    return frozenset(found)


_CODE_TYPES = (ModuleType, FunctionType, BuiltinFunctionType, MethodType, type)


def _is_code(value: Any) -> bool:
    """Modules, classes and functions: names bound to code, not shared data. Reading them
    is not an access (rebinding one still is a write)."""
    return isinstance(value, _CODE_TYPES)


def _is_code_or_unknown(value: Any) -> bool:
    return value is UNKNOWN or _is_code(value)


def _global_probe(name: str, kind: Kind) -> Probe:
    def probe(frame: FrameType) -> StepAccesses:
        namespace = frame.f_globals
        if kind is Kind.READ:
            value = namespace.get(name, len)
            if _is_code(value):
                return NOTHING  # a builtin, a module, a function, a class
            if type(value) in ACCESSES.foreign:
                ACCESSES.adopt(value, name, ("global", namespace, name))
        return StepAccesses((Access(Location(id(namespace), name, name, "globals"), kind),))

    return probe


def _module_name_probe(name: str, kind: Kind) -> Probe:
    def probe(frame: FrameType) -> StepAccesses:
        if frame.f_locals is not frame.f_globals:
            return NOTHING  # a class body's own namespace
        namespace = frame.f_globals
        if kind is Kind.READ and _is_code(namespace.get(name, len)):
            return NOTHING
        return StepAccesses((Access(Location(id(namespace), name, name, "globals"), kind),))

    return probe


def _cell_probe(code: CodeType, index: int, name: str, kind: Kind) -> Probe:
    if not CELLS_READABLE:
        fallback = StepAccesses((Access(Location(id(code), name, name), kind),))
        return lambda frame: fallback

    def probe(frame: FrameType) -> StepAccesses:
        cell = _read_localsplus(frame, index)
        if cell is UNKNOWN:
            return OPAQUE
        if kind is Kind.READ and ACCESSES.foreign:
            value = getattr(cell, "cell_contents", None)
            if type(value) in ACCESSES.foreign:
                ACCESSES.adopt(value, name, ("cell", cell))
        return StepAccesses((Access(Location(OWNERS.of(cell), "cell", name, "cell"), kind),))

    return probe


def _attribute_probe(code: CodeType, node: ast.Attribute, kind: Kind) -> Probe | None:
    owner_of = _evaluator(node.value)
    if owner_of is None:
        return lambda frame: OPAQUE if kind.writes else NOTHING
    attr = node.attr
    text = _text(code, node)

    def probe(frame: FrameType) -> StepAccesses:
        owner = owner_of(frame, frame.f_locals)
        if owner is UNKNOWN:
            return OPAQUE if kind.writes else NOTHING
        if kind is Kind.READ:
            value = data_attribute(owner, attr)
            if _is_code_or_unknown(value):
                return NOTHING  # a method or a property: its code is traced, if it is Python
            if type(value) in ACCESSES.foreign:
                ACCESSES.adopt(value, text, ("attr", owner, attr))
        if isinstance(owner, (FunctionType, CodeType)):
            return NOTHING
        name = attribute_name(owner, attr)
        return StepAccesses(
            (Access(Location(OWNERS.of(owner), attr, name, type(owner).__name__), kind),)
        )

    return probe


def _subscript_probe(code: CodeType, node: ast.Subscript, kind: Kind) -> Probe | None:
    container_of = _evaluator(node.value)
    if container_of is None:
        return lambda frame: OPAQUE if kind.writes else NOTHING
    text = _text(code, node.value)
    key_of = None if isinstance(node.slice, ast.Slice) else _evaluator(node.slice)

    def probe(frame: FrameType) -> StepAccesses:
        local = frame.f_locals
        container = container_of(frame, local)
        if not isinstance(container, _CONTAINERS):
            return NOTHING if container is not UNKNOWN or not kind.writes else OPAQUE
        key = WHOLE if key_of is None else key_of(frame, local)
        key = WHOLE if key is UNKNOWN else _hashable(key)
        if kind is Kind.READ and key is not WHOLE and ACCESSES.foreign:
            value = _item(container, key)
            if type(value) in ACCESSES.foreign:
                ACCESSES.adopt(value, _container_name(text, key), ("item", container, key))
        access_kind = kind
        if (
            kind is Kind.READ
            and isinstance(container, collections.defaultdict)
            and key not in container
        ):
            access_kind = Kind.UPDATE  # a defaultdict makes the missing item
        of = type(container).__name__
        location = Location(OWNERS.of(container), key, _container_name(text, key), of)
        return StepAccesses((Access(location, access_kind),))

    return probe


def _contains_probe(code: CodeType, node: ast.Compare) -> Probe | None:
    if not isinstance(node.ops[0], (ast.In, ast.NotIn)):
        return None
    item_of, container_of = _evaluator(node.left), _evaluator(node.comparators[0])
    if container_of is None:
        return None
    text = _text(code, node.comparators[0])

    def probe(frame: FrameType) -> StepAccesses:
        local = frame.f_locals
        container = container_of(frame, local)
        if not isinstance(container, _CONTAINERS):
            return NOTHING
        key: Hashable = WHOLE
        if isinstance(container, (dict, set)) and item_of is not None:
            item = item_of(frame, local)
            key = WHOLE if item is UNKNOWN else _hashable(item)
        of = type(container).__name__
        location = Location(OWNERS.of(container), key, _container_name(text, key), of)
        return StepAccesses((Access(location, Kind.READ),))

    return probe


def _whole_read_probe(code: CodeType, node: ast.expr, kind: Kind = Kind.READ) -> Probe | None:
    container_of = _evaluator(node)
    if container_of is None:
        return None
    text = _text(code, node)

    def probe(frame: FrameType) -> StepAccesses:
        container = container_of(frame, frame.f_locals)
        if not isinstance(container, _CONTAINERS):
            return NOTHING
        of = type(container).__name__
        return StepAccesses((Access(Location(OWNERS.of(container), WHOLE, text, of), kind),))

    return probe


def _call_probe(code: CodeType, node: ast.Call) -> Probe:
    func = node.func
    first = (
        _evaluator(node.args[0])
        if node.args and not isinstance(node.args[0], ast.Starred)
        else None
    )
    arguments = _argument_evaluators(node)
    if isinstance(func, ast.Attribute):
        owner_of = _evaluator(func.value)
        method = func.attr
        text = _text(code, func.value)

        def method_probe(frame: FrameType) -> StepAccesses:
            if owner_of is None:
                return OPAQUE
            local = frame.f_locals
            owner = owner_of(frame, local)
            if owner is UNKNOWN:
                return OPAQUE
            if isinstance(owner, _CONTAINERS):
                key = first(frame, local) if first is not None else UNKNOWN
                access = container_method(owner, method, key)
                if access is None:
                    return OPAQUE
                return StepAccesses((_named(access, _container_name(text, access.location.key)),))
            if type(owner) in _VALUES:
                if _scalars(arguments, frame, local):
                    return NOTHING  # `job.upper()`, `name.split(":")`: values in, a value out
                if method == "join" and first is not None:  # `", ".join(names)` reads names
                    return _reads_argument(code, node, first(frame, local))
            bound = _static_attribute(owner, method)
            return OPAQUE if bound is UNKNOWN or _opaque_callable(bound) else NOTHING

        return method_probe
    callee_of = _evaluator(func)

    def function_probe(frame: FrameType) -> StepAccesses:
        if callee_of is None:
            return OPAQUE
        local = frame.f_locals
        callee = callee_of(frame, local)
        if callee in _READING_BUILTINS and first is not None:
            return _reads_argument(code, node, first(frame, local))
        if (
            type(callee) is BuiltinFunctionType
            and type(callee.__self__) in _VALUES
            and _scalars(arguments, frame, local)
        ):
            return NOTHING  # `find = text.find` earlier, `find("\\n", start)` now
        return OPAQUE if callee is UNKNOWN or _opaque_callable(callee) else NOTHING

    return function_probe


def _reads_argument(code: CodeType, node: ast.Call, argument: Any) -> StepAccesses:
    """A call that reads its first argument whole (``len(items)``) and nothing else: a
    container's read, or nothing races sees (an object's own ``__len__`` is traced)."""
    if not isinstance(argument, _CONTAINERS):
        return NOTHING
    text = _text(code, node.args[0])
    location = Location(OWNERS.of(argument), WHOLE, text, type(argument).__name__)
    return StepAccesses((Access(location, Kind.READ),))


#: Immutable values whose methods read nothing but themselves and their arguments' values.
_SCALARS = frozenset({str, bytes, int, float, complex, bool, type(None)})
#: The same, with the compiled patterns and matches of ``re``, values whose methods are C.
_VALUES = _SCALARS | {re.Pattern, re.Match}


def _argument_evaluators(
    node: ast.Call,
) -> list[Callable[[FrameType, dict[str, Any]], Any]] | None:
    """An evaluator for each argument of the call, or None when one cannot be computed
    without running code (or is unpacked)."""
    nodes = [*node.args, *(keyword.value for keyword in node.keywords)]
    if any(isinstance(arg, ast.Starred) for arg in node.args) or any(
        keyword.arg is None for keyword in node.keywords
    ):
        return None
    evaluators = [_evaluator(arg) for arg in nodes]
    return None if None in evaluators else evaluators  # type: ignore[return-value]


def _scalars(
    arguments: list[Callable[[FrameType, dict[str, Any]], Any]] | None,
    frame: FrameType,
    local: dict[str, Any],
) -> bool:
    """Whether every argument is known and a scalar: a method of a scalar given only
    scalars cannot reach a shared object (``", ".join(names)`` reads a list: not this)."""
    return arguments is not None and all(_scalar(argument(frame, local)) for argument in arguments)


def _scalar(value: Any) -> bool:
    """An immutable value made of scalars only: ``("P", "S")`` as well as ``"P"``."""
    kind = type(value)
    return kind in _SCALARS or (kind is tuple and all(type(item) in _SCALARS for item in value))


def _static_attribute(owner: Any, name: str) -> Any:
    """The attribute ``owner.name`` refers to, found without running code (for calls)."""
    if isinstance(owner, ModuleType):
        return vars(owner).get(name, UNKNOWN)
    kind = owner if isinstance(owner, type) else type(owner)
    for klass in kind.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    try:
        own = object.__getattribute__(owner, "__dict__")
    except AttributeError:
        return UNKNOWN
    return own.get(name, UNKNOWN) if isinstance(own, dict) else UNKNOWN


def log_touched(
    events: list[Event], unit: int, step: int, touched: StepAccesses, frame: FrameType, offset: int
) -> None:
    """Log what the instruction at ``offset`` touched, for ``unit`` in ``step``: each access
    at the instruction, and for a library's instruction the program's line that led there
    (``(code, offset, (file, line))``)."""
    if not touched.accesses and not touched.opaque:
        return
    code = frame.f_code
    where: tuple[Any, ...] = (code, offset)
    if in_library(code):
        caller = program_caller(frame)
        if caller is not None:
            where = (code, offset, caller)
    for access in touched.accesses:
        events.append((unit, step, access, where))
    if touched.opaque:
        events.append((unit, step, OPAQUE_STEP, where))


class AccessTable:
    """Per code object and instruction offset, its probe (compiled once, kept across runs).

    A runtime may ask to see some values before the code reads them: while one of its
    sessions is open, ``foreign`` holds their types and ``adopt`` is called with the value,
    how the code names it, and where it lives (``("attr", owner, name)``, ``("item",
    container, key)``, ``("global", namespace, name)``, ``("cell", cell)``) just before the
    instruction that reads it runs. The threads runtime swaps a real lock a library made at
    import for a modelled one there, on its first use. ``ordered`` names the standard-library
    packages the session's runtime models itself.
    """

    def __init__(self) -> None:
        self._probes: dict[int, dict[int, Probe]] = {}  # by id (``races.core.codekeys``)
        self.foreign: frozenset[type] = frozenset()
        #: Standard-library packages the open session's runtime models (see
        #: ``sites.hides_state``): calls into them are not opaque.
        self.ordered: tuple[str, ...] = ()
        self.adopt: Callable[[Any, str, tuple[Any, ...]], None] = _keep

    def probes(self, code: CodeType) -> dict[int, Probe]:
        try:
            return self._probes[id(code)]
        except KeyError:
            pass
        found: dict[int, Probe] = {}
        for instruction in dis.get_instructions(code):
            probe = compile_probe(code, instruction)
            if probe is not None:
                found[instruction.offset] = probe
        self._probes[keep(code)] = found
        return found

    def accesses(self, frame: FrameType, offset: int) -> StepAccesses:
        probe = self.probes(frame.f_code).get(offset)
        if probe is None:
            return NOTHING
        try:
            return probe(frame)
        except Exception:  # noqa: BLE001 - reading must never break the program
            return OPAQUE


def _keep(value: Any, name: str, where: tuple[Any, ...]) -> None:
    return None


ACCESSES = AccessTable()
