"""Where a thread is, in terms a user recognises: the line of their code and the call it made."""

from __future__ import annotations

import os
import sys
import sysconfig
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Protocol

from races.core.codekeys import keep
from races.core.untraced import WRAPPER_CODE

# races/core/sites.py -> races/, spelled as code objects spell their files (unresolved).
_RACES_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CASES_DIR = _RACES_DIR + "/cases"

# CPython's pure-Python fallbacks and our models, as the user wrote them.
_DISPLAY = {
    "_PyRLock": "RLock",
    "_PySimpleQueue": "SimpleQueue",
    "ThreadHandle": "Thread",
}
_ALIASES = {
    "Lock.__enter__": "Lock.acquire",
    "RLock.__enter__": "RLock.acquire",
    "Condition.__enter__": "Condition.acquire",
    "Semaphore.__enter__": "Semaphore.acquire",
    "BoundedSemaphore.__enter__": "BoundedSemaphore.acquire",
    "sleep": "time.sleep",
}

#: Operations that take ownership of a mutex: what a deadlock report lists as "holds".
MUTEX_OPERATIONS = frozenset({"Lock.acquire", "RLock.acquire", "Condition.acquire"})


@dataclass(slots=True, unsafe_hash=True)  # a value (``races.vocabulary.access``)
class Site:
    """A call from code under test: the operation called, and the file and line calling it."""

    operation: str
    filename: str
    lineno: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}"


def is_races_internal(filename: str) -> bool:
    return filename.startswith(_RACES_DIR) and not filename.startswith(_CASES_DIR)


_STDLIB_DIRS = tuple(
    {os.path.join(sysconfig.get_paths()[key], "") for key in ("stdlib", "platstdlib")}
    | {
        os.path.join(os.path.realpath(sysconfig.get_paths()[key]), "")
        for key in ("stdlib", "platstdlib")
    }
)
_SITE_DIRS = tuple(
    {
        os.path.join(path, "")
        for key in ("purelib", "platlib")
        for path in (sysconfig.get_paths()[key], os.path.realpath(sysconfig.get_paths()[key]))
    }
)

#: Standard-library modules whose shared state is ordered by primitives races models (or
#: replaces): their own reads and writes need not be seen, since the locks, conditions and
#: queues they use are. ``contextlib`` only drives the program's own generators.
_ORDERED_BY_MODELS = (
    "threading.py",
    "queue.py",
    "concurrent/futures/",
    "logging/",
    "contextlib.py",
    "weakref.py",
    "_weakrefset.py",
    "abc.py",
    "typing.py",
    "enum.py",
)

#: Functions of other standard-library modules that touch nothing but their arguments'
#: values and the functions they are given (traced): making a wrapper, or comparing by
#: the program's own ``__lt__``. The rest of ``functools`` keeps state of its own
#: (``cached_property`` writes the instance's dict, ``singledispatch`` its cache).
_TRANSPARENT = {
    "functools.py": frozenset(
        {"update_wrapper", "wraps", "total_ordering", "cmp_to_key", "partialmethod"}
        | {f"_{a}_from_{b}" for a in ("lt", "le", "gt", "ge") for b in ("lt", "le", "gt", "ge")}
    ),
}


def short_path(filename: str) -> str:
    """A file as reports name it: the program's by its name (``bank.py``), a library's
    or the standard library's from its package down (``cachetools/__init__.py``), since
    many of their files share a name."""
    for root in (*_SITE_DIRS, *_STDLIB_DIRS):
        if filename.startswith(root):
            return filename[len(root) :]
    return filename.rsplit("/", 1)[-1]


#: Errors no model of races raises on purpose (a real lock's RuntimeError, a queue's
#: Empty, a bad argument's TypeError are the program's): raised inside races, a bug of it.
_SLIPS = (NameError, AttributeError, KeyError, IndexError, ZeroDivisionError, RecursionError)


def raised_by_races(exc: BaseException) -> bool:
    """Whether ``exc`` is a slip of races' own code (its tracer, its models, its access
    model) and not the program's: such an error is races' failure, never the scenario's."""
    if not isinstance(exc, _SLIPS):
        return False
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return is_races_internal(tb.tb_frame.f_code.co_filename)


_in_library: dict[int, bool] = {}  # by id (``races.core.codekeys``)


def in_library(code: CodeType) -> bool:
    """Whether ``code`` is an installed package's (site-packages), once per code object."""
    try:
        return _in_library[id(code)]
    except KeyError:
        found = _in_library[keep(code)] = code.co_filename.startswith(_SITE_DIRS)
        return found


def program_caller(frame: FrameType) -> tuple[str, int] | None:
    """The line of the program's own code that led into the library code ``frame`` runs:
    the innermost frame below it outside installed packages, the standard library and
    races (None when there is none)."""
    f = frame.f_back
    while f is not None:
        filename = f.f_code.co_filename
        if not (
            filename.startswith(_SITE_DIRS)
            or filename.startswith(_STDLIB_DIRS)
            or is_races_internal(filename)
        ):
            return filename, f.f_lineno or 0
        f = f.f_back
    return None


def hides_state(code: CodeType, ordered: tuple[str, ...] = ()) -> bool:
    """Whether ``code`` is standard-library Python that may read or write shared state
    races does not see (asyncio's ready queue, a ``Random``'s state): it is not traced,
    and no modelled primitive orders what it touches. A step that runs it must count as
    touching anything (``opaque``) for a proof to stay sound. A runtime that models a
    package itself names it in ``ordered`` (the asyncio runtime: ``"asyncio/"``)."""
    filename = code.co_filename
    if not filename.startswith(_STDLIB_DIRS) or filename.startswith(_SITE_DIRS):
        return False
    for dir_ in _STDLIB_DIRS:
        if filename.startswith(dir_):
            rest = filename[len(dir_) :]
            if rest in _TRANSPARENT:
                return code.co_qualname.split(".")[0] not in _TRANSPARENT[rest]
            return not rest.startswith(_ORDERED_BY_MODELS) and not rest.startswith(ordered)
    return False


_hidden: dict[int, bool] = {}  # by id (``races.core.codekeys``)


def hidden(code: CodeType) -> bool:
    """``hides_state(code)`` with nothing modelled besides, once per code object."""
    try:
        return _hidden[id(code)]
    except KeyError:
        found = _hidden[keep(code)] = hides_state(code)
        return found


def operation_name(frame: FrameType) -> str:
    code = frame.f_code
    try:
        return _operations[id(code)]
    except KeyError:
        qualname = code.co_qualname
        owner, _, method = qualname.rpartition(".")
        if owner in _DISPLAY:
            qualname = f"{_DISPLAY[owner]}.{method}"
        name = _operations[keep(code)] = _ALIASES.get(qualname, qualname)
        return name


class UnderTest(Protocol):
    """What a walk over frames needs of ``races.core.codefilter.CodeFilter``."""

    #: The decisions made so far, by filename: looked up before the filter is asked.
    files: dict[str, bool]

    def filename_under_test(self, filename: str) -> bool: ...


_operations: dict[int, str] = {}  # by id (``races.core.codekeys``)
_internal: dict[str, bool] = {}  # by filename: ``is_races_internal``


def call_site(under_test: UnderTest, frame: FrameType | None = None) -> Site | None:
    """The innermost call from code under test on the current stack, and what it called.

    With no code under test on the stack (a thread's own bootstrap, an executor's worker),
    the innermost frame outside races stands in for it.

    Every modelled primitive's operation asks for its site, so this walk is as hot as a
    switch point: each frame costs a lookup by its filename (a string keeps its hash; an
    ``id`` made a new integer for each frame, and cost twice as much), no calls.
    """
    if frame is None:
        frame = sys._getframe(1)
    files, internal = under_test.files, _internal
    callee: FrameType | None = None
    fallback: FrameType | None = None
    f: FrameType | None = frame
    while f is not None:
        code = f.f_code
        if code is WRAPPER_CODE:  # a model's method run untraced: the method is the callee
            f = f.f_back
            continue
        filename = code.co_filename
        tested = files.get(filename)
        if tested is None:
            tested = under_test.filename_under_test(filename)
        if tested:
            op = operation_name(callee) if callee is not None else code.co_qualname
            return Site(op, filename, f.f_lineno)
        if fallback is None:
            ours = internal.get(filename)
            if ours is None:
                ours = internal[filename] = is_races_internal(filename)
            if not ours:
                fallback = f
        callee = f
        f = f.f_back
    if fallback is None:
        return None
    return Site(operation_name(fallback), fallback.f_code.co_filename, fallback.f_lineno)


#: A lock's class, as lock-order analysis names it across runs and tests: the file and
#: line that made it, and which of the locks made there (in one run) it is.
LockClass = tuple[str, int, int]


class LockClasses:
    """Names the locks one run makes by where they were made (``LockClass``).

    A lock's id means nothing in the next run, so a lock-order graph over ids cannot grow
    across the schedules of an exploration or the tests of a pytest run. The n-th lock made
    at one line is the same lock from run to run (the forks of ``[Lock() for _ in
    range(5)]`` stay apart), whatever the interleaving of other threads' allocations.
    """

    def __init__(self) -> None:
        self._made: dict[tuple[str, int], int] = {}

    def name(self, under_test: UnderTest) -> LockClass | None:
        """The class of a lock being made now, from the caller's stack."""
        site = call_site(under_test, sys._getframe(1))
        if site is None:
            return None
        where = (site.filename, site.lineno)
        nth = self._made.get(where, 0)
        self._made[where] = nth + 1
        return (site.filename, site.lineno, nth)
