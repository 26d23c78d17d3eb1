"""The access model's conformance table: Python snippets and the exact accesses each makes.

Each snippet runs in a thread (or a task) under ``races.detect``; the accesses its steps record, in
order, must be exactly those listed, on every Python races supports. A location is named
as the program names it (``counter``, ``Account.n``, ``d['k']``); ``update`` is one
atomic read-and-write (a builtin operation such as ``append``).
"""

from __future__ import annotations

import asyncio
import operator
import re
import threading
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

import races

counter = 0


class Account:
    def __init__(self) -> None:
        self.balance = 100
        self.n = 0

    @property
    def doubled(self) -> int:
        return self.balance * 2

    def deposit(self) -> None:
        self.n += 1


class Slotted:
    __slots__ = ("x",)

    def __init__(self) -> None:
        self.x = 1


def global_increment() -> None:
    global counter
    counter += 1


def attribute_increment(account: Account) -> None:
    account.deposit()


def count_word(d: dict[str, int], k: str) -> None:
    d[k] = d.get(k, 0) + 1


def append(lst: list[int], v: int) -> None:
    lst.append(v)


def check_then_insert(d: dict[str, int], k: str) -> None:
    if k not in d:
        d[k] = 1


def setdefault(d: dict[str, list[int]], k: str) -> None:
    d.setdefault(k, [])


def swap(account: Account) -> None:
    account.n, account.balance = account.balance, account.n


def iterate(d: dict[str, int]) -> None:
    for _k in d:
        pass


def through_property(account: Account) -> int:
    return account.doubled


def subscript_increment(lst: list[int]) -> None:
    lst[0] += 1


def slot_increment(s: Slotted) -> None:
    s.x = s.x + 1


def length(lst: list[int]) -> int:
    return len(lst)


def closure_increment() -> None:
    total = 0

    def inc() -> None:
        nonlocal total
        total += 1

    inc()


def opaque_call(d: dict[str, int]) -> None:
    operator.setitem(d, "k", 1)  # C code races cannot see into


class Guarded:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.n = 0


def locked_increment() -> None:
    g = Guarded()  # made while exploring: a modelled lock
    with g.lock:  # its exit calls the model's Python __exit__: seen, not opaque
        g.n += 1


def squares(n: int) -> list[int]:
    return [i * i for i in range(n)]  # 3.11 calls the comprehension's own (traced) code


def exit_into_c() -> None:
    with memoryview(b"x"):  # its __exit__ is C code races cannot see into
        pass


class Private:
    def __init__(self) -> None:
        self.__n = 0  # stored as _Private__n, named as the code writes it

    def bump(self) -> None:
        self.__n += 1


def private_increment(private: Private) -> None:
    private.bump()


def scalar_method(name: str) -> str:
    return name.upper()  # a value in, a value out: nothing shared


def join_items(lst: list[str]) -> str:
    return ", ".join(lst)  # reads the list in C code, and nothing else


def join_generated(n: int) -> str:
    return ", ".join(str(i) for i in range(n))  # what it is given is known only by running


WORD = re.compile(r"\w+")


def pattern_search(text: str) -> bool:
    match = WORD.search(text)  # a compiled pattern and its match are values
    return match is not None and match.start() == 0


def bound_scalar_method(text: str) -> int:
    find = text.find
    return find("b", 0)  # a string's own method, given values


def scalar_method_given_a_tuple(name: str) -> bool:
    return name.startswith(("a", "b"))  # a tuple of values is a value


def category(ch: str) -> str:
    return unicodedata.category(ch)  # a pure C function of its argument


class Renderer:
    @staticmethod
    def attributes(n: int) -> str:
        return str(n)

    @classmethod
    def kind(cls) -> str:
        return cls.__name__


def static_and_class_methods(renderer: Renderer) -> str:
    return renderer.attributes(1) + renderer.kind()  # Python code, traced: not opaque


def scalar_method_given_a_dict(table: dict[int, str]) -> str:
    return "abc".translate(table)  # looks the dict up in C code: a dict is not a value


TABLE: list[tuple[Callable[..., Any], Callable[[], tuple[Any, ...]], list[str]]] = [
    (global_increment, lambda: (), ["read counter", "write counter"]),
    (attribute_increment, lambda: (Account(),), ["read Account.n", "write Account.n"]),
    (count_word, lambda: ({}, "k"), ["read d['k']", "write d['k']"]),
    (append, lambda: ([], 1), ["update lst"]),
    (check_then_insert, lambda: ({}, "k"), ["read d['k']", "write d['k']"]),
    (setdefault, lambda: ({}, "k"), ["update d['k']"]),
    (
        swap,
        lambda: (Account(),),
        ["read Account.balance", "read Account.n", "write Account.n", "write Account.balance"],
    ),
    (iterate, lambda: ({"a": 1, "b": 2},), ["iterate d"] * 4),
    (through_property, lambda: (Account(),), ["read Account.balance"]),
    (subscript_increment, lambda: ([1],), ["read lst[0]", "write lst[0]"]),
    (slot_increment, lambda: (Slotted(),), ["read Slotted.x", "write Slotted.x"]),
    (length, lambda: ([1, 2],), ["read lst"]),
    (closure_increment, lambda: (), ["write total", "read total", "write total"]),
    (opaque_call, lambda: ({},), ["opaque"]),
    (
        locked_increment,
        lambda: (),
        [
            "write Guarded.lock",
            "write Guarded.n",
            "read Guarded.lock",
            "read Guarded.n",
            "write Guarded.n",
        ],
    ),
    (
        private_increment,
        lambda: (Private(),),
        ["read Private.__n", "write Private.__n"],
    ),
    (scalar_method, lambda: ("t",), []),
    (join_items, lambda: (["a"],), ["read lst"]),
    (join_generated, lambda: (2,), ["opaque"]),
    (pattern_search, lambda: ("ab",), ["read WORD"]),
    (bound_scalar_method, lambda: ("ab",), []),
    (scalar_method_given_a_tuple, lambda: ("ab",), []),
    (category, lambda: ("a",), []),
    (static_and_class_methods, lambda: (Renderer(),), []),
    (scalar_method_given_a_dict, lambda: ({97: "x"},), ["opaque"]),
    (squares, lambda: (3,), []),
    (exit_into_c, lambda: (), ["opaque"]),
]


def accesses_of(function: Callable[..., Any], args: tuple[Any, ...]) -> list[str]:
    """What one thread running ``function(*args)`` touches, step by step, in order."""

    def scenario() -> None:
        worker = threading.Thread(target=function, args=args)
        worker.start()
        worker.join()

    result = races.detect(scenario)
    assert not result.failed, result.render()
    assert result.trace is not None
    return [access for step in result.trace if step.thread == 1 for access in step.accesses]


@pytest.mark.parametrize(
    ("function", "make_args", "expected"), TABLE, ids=[row[0].__name__ for row in TABLE]
)
def test_conformance(
    function: Callable[..., Any], make_args: Callable[[], tuple[Any, ...]], expected: list[str]
) -> None:
    assert accesses_of(function, make_args()) == expected


async def _task_increment(account: Account) -> None:
    value = account.balance
    await asyncio.sleep(0)
    account.balance = value + 1


async def _task_scenario() -> None:
    account = Account()
    await asyncio.gather(_task_increment(account))


def test_a_task_records_its_accesses_step_by_step() -> None:
    # A task's steps run from one await to the next: the read is in its first step, the
    # write in the step after the await.
    result = races.detect(_task_scenario)
    assert not result.failed, result.render()
    assert result.trace is not None
    steps = [step.accesses for step in result.trace if step.thread == 1 and step.accesses]
    assert steps == [("read Account.balance",), ("write Account.balance",)]
