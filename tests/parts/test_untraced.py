"""Races' own code runs with the thread's trace hook off (``races.core.untraced``), and a
call site's walk looks past the wrapper's frame (``races.core.sites.call_site``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

import races
from races.core import sites
from races.core.codefilter import CodeFilter
from races.core.untraced import WRAPPER_CODE, untraced
from races.runtimes.threads.models import lock as lock_model
from tests import scenarios


def _hook(frame: FrameType, event: str, arg: object) -> None:
    return None


@pytest.fixture
def hooked() -> Iterator[None]:
    previous = sys.gettrace()
    sys.settrace(_hook)
    try:
        yield
    finally:
        sys.settrace(previous)


def test_the_hook_is_off_inside_and_back_after(hooked: None) -> None:
    inside = untraced(sys.gettrace)()
    assert inside is None
    assert sys.gettrace() is _hook


def test_the_hook_is_back_after_an_exception(hooked: None) -> None:
    @untraced
    def fails() -> None:
        raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        fails()
    assert sys.gettrace() is _hook


def test_without_a_hook_nothing_changes() -> None:
    previous = sys.gettrace()  # a coverage tracer, if the runner has one
    sys.settrace(None)
    try:
        assert untraced(lambda x: x + 1)(1) == 2
        assert sys.gettrace() is None
    finally:
        sys.settrace(previous)


def test_the_wrapper_keeps_the_name_and_arguments() -> None:
    @untraced
    def add(a: int, *, b: int = 0) -> int:
        """Adds."""
        return a + b

    assert (add.__name__, add.__doc__) == ("add", "Adds.")
    assert add(1, b=2) == 3
    assert untraced(len).__code__ is WRAPPER_CODE


# A primitive as races' models are: code outside the code under test, run untraced.
_PRIMITIVE = """
class Primitive:
    def acquire(self, where):
        return call_site(where)
"""
_namespace: dict[str, Any] = {"call_site": sites.call_site}
exec(compile(_PRIMITIVE, "<primitive>", "exec"), _namespace)
_namespace["Primitive"].acquire = untraced(_namespace["Primitive"].acquire)


def test_a_call_site_names_the_method_behind_the_wrapper() -> None:
    """The wrapper's frame is nobody's callee: the site names the method the program
    called, which is what tells a program's own ``lock.acquire()`` (a mutex) apart."""
    line = sys._getframe().f_lineno + 1
    site = _namespace["Primitive"]().acquire(CodeFilter((__file__,)))
    assert site is not None
    assert site.operation == "Primitive.acquire"
    assert (site.filename, site.lineno) == (__file__, line)


def test_a_modelled_lock_runs_untraced_on_a_controlled_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under settrace, a modelled lock's own calls make no call events: its site is
    looked for with the hook off, and the program's code is traced again after."""
    hooks: list[Any] = []
    real = sites.call_site

    def looking(under_test: Any) -> Any:
        hooks.append(sys.gettrace())
        return real(under_test, sys._getframe(1))

    monkeypatch.setattr(lock_model, "call_site", looking)

    result = races.explore(
        scenarios.locked_counter, strategy="random", budget=3, tracing="settrace"
    )
    assert not result.failed, result.render()
    assert hooks and all(hook is None for hook in hooks)
