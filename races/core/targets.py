"""Scenarios by name: ``module:qualname`` strings, and finding the function they name.

A scenario crosses a process boundary by name (the stress child, the gevent child) and
comes from the command line the same way; this is the one place that turns a name into
the function and back.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any

from races.vocabulary.errors import InvalidArgument


def target_of(scenario: Callable[..., object]) -> str:
    """``module:qualname`` for a function another process can import, or an error that
    says why it cannot."""
    function = getattr(scenario, "__func__", scenario)
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        where = " (it is defined in __main__)" if module == "__main__" else ""
        raise InvalidArgument(
            f"{qualname or scenario!r} cannot be imported by name{where}, and it must be, to "
            "run in another process: define the scenario at the top level of an importable "
            "module"
        )
    return f"{module}:{qualname}"


def load(target: str) -> Callable[..., object]:
    """The callable ``module:qualname`` names; modules of the current directory are found
    as ``python -m`` finds them. Errors name what is wrong and what is expected."""
    module_name, sep, qualname = target.partition(":")
    if not sep or not module_name or not qualname:
        raise InvalidArgument(
            f"{target!r} is not a scenario: name it as module:function, for example "
            "myproject.tests.races:transfer_scenario"
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidArgument(f"cannot import {module_name!r}: {exc}") from exc
    except Exception as exc:  # the module's own error, at import
        raise InvalidArgument(
            f"importing {module_name!r} raised {type(exc).__name__}: {exc}; fix the module"
        ) from exc
    for part in qualname.split("."):
        if not hasattr(found, part):
            raise InvalidArgument(f"{module_name!r} has no attribute {qualname!r}")
        found = getattr(found, part)
    if not callable(found):
        raise InvalidArgument(f"{target} is not callable")
    return found  # type: ignore[no-any-return]
