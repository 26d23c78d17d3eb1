"""Which code is under test: the code whose lines and instructions get switch points.

By default everything but the standard library, races' own machinery (its catalogue of
cases is under test), test infrastructure, and code without a source file. The threads
runtime asks it for each code object it traces; stress mode asks it which threads are the
scenario's own.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.util
import os
import sys
import sysconfig
from collections.abc import Sequence
from types import CodeType
from typing import Any

from races.core.codekeys import keep
from races.core.sites import is_races_internal
from races.vocabulary.errors import InvalidArgument

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


class CodeFilter:
    """Decides, once per code object, whether its lines belong to the code under test.

    By default that is everything but the standard library, races' own machinery (its
    catalogue of cases is under test), test infrastructure, and code without a source file. ``include`` and ``exclude``
    take module names (``mypkg`` covers ``mypkg.sub``) or path globs (``*/vendored/*``);
    ``exclude`` wins, then ``include``, then the default.
    """

    def __init__(self, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
        self._stdlib, self._site = _library_roots()
        self._infrastructure = _package_dirs(_INFRASTRUCTURE)
        self._include = [_pattern(p) for p in include]
        self._exclude = [_pattern(p) for p in exclude]
        #: The decision for each code object seen so far, by id (``races.core.codekeys``).
        self.decided: dict[int, bool] = {}
        #: The decision for each file seen so far: what a walk over many frames looks up
        #: before it calls the filter (``races.core.sites.call_site``).
        self.files: dict[str, bool] = {}

    @property
    def excludes(self) -> bool:
        """Whether it leaves out code it would take by default (an ``exclude`` pattern):
        only then can code be an excluded package's."""
        return bool(self._exclude)

    @staticmethod
    def shared(include: Sequence[str] = (), exclude: Sequence[str] = ()) -> CodeFilter:
        """The filter for these patterns, made once a process with its decisions kept: a
        session of a scenario (``races.detect`` of each test of a suite) pays for each
        file and code object once, not once a session."""
        return _shared(tuple(include), tuple(exclude))

    def __call__(self, code: CodeType) -> bool:
        try:
            return self.decided[id(code)]
        except KeyError:
            result = self.decided[keep(code)] = self.filename_under_test(code.co_filename)
            return result

    def filename_under_test(self, filename: str) -> bool:
        try:
            return self.files[filename]
        except KeyError:
            result = self.files[filename] = self._decide(filename)
            return result

    def _decide(self, filename: str) -> bool:
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


@functools.cache
def _shared(include: tuple[str, ...], exclude: tuple[str, ...]) -> CodeFilter:
    return CodeFilter(include, exclude)


@functools.cache
def _library_roots() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Where the standard library and installed packages live, as given and resolved
    (looked up once a process, as ``_package_dirs``)."""
    paths = sysconfig.get_paths()
    stdlib = {paths[k] for k in ("stdlib", "platstdlib")}
    site = {paths[k] for k in ("purelib", "platlib")}
    return (
        tuple(stdlib | {os.path.realpath(p) for p in stdlib}),
        tuple(site | {os.path.realpath(p) for p in site}),
    )


@functools.cache
def _package_dirs(names: tuple[str, ...]) -> tuple[str, ...]:
    """Where these top-level packages live, whether or not they are imported yet (looked
    up once a process: each session makes a filter, and ``races.detect`` one a test)."""
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
    return tuple(dirs)


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
        raise InvalidArgument(
            f"include/exclude: no module named {text!r}; give a module name that can be "
            "imported, or a path glob such as '*/mypkg/*'"
        )
    prefix = os.path.dirname(origin) + os.sep if package else origin
    return lambda filename: filename.startswith(prefix)
