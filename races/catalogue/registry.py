"""Finding cases: every entry point in the ``races.cases`` group names a module or package.

A package's sub-packages that define ``CASE`` are cases; a module may also list them in
``CASES``. The built-in catalogue registers through the same group. A plugin that fails
to import, or a malformed case, becomes one ``PluginError`` naming the plugin, the case
and the fix; everything else still loads.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

from races.catalogue.case import Case

GROUP = "races.cases"


@dataclass(frozen=True)
class PluginError:
    """A plugin or case that could not be loaded, and what to do about it."""

    plugin: str
    case: str | None
    message: str

    def __str__(self) -> str:
        where = f"plugin {self.plugin!r}" + (f", case {self.case!r}" if self.case else "")
        return f"{where}: {self.message}"


@dataclass
class Catalogue:
    cases: dict[str, Case] = field(default_factory=dict)
    errors: list[PluginError] = field(default_factory=list)

    def ordered(self) -> list[Case]:
        return sorted(self.cases.values(), key=lambda c: (c.origin != "builtin", c.order, c.name))

    def get(self, name: str) -> Case:
        """The case called ``name``; an unknown name gets the closest ones suggested."""
        try:
            return self.cases[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.cases), n=3)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise LookupError(
                f"no case named {name!r}{hint} (`races list` shows every case)"
            ) from None


def load_catalogue(eps: Iterable[EntryPoint] | None = None) -> Catalogue:
    catalogue = Catalogue()
    for ep in eps if eps is not None else entry_points(group=GROUP):
        origin = ep.name
        try:
            module = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import error is the plugin's
            catalogue.errors.append(
                PluginError(
                    origin,
                    None,
                    f"cannot import {ep.value!r}: {type(exc).__name__}: {exc}. Fix the import, "
                    f'or remove the entry point from the [project.entry-points."{GROUP}"] table',
                )
            )
            continue
        for name, package, case, error in _cases_in(module):
            if error is not None:
                catalogue.errors.append(PluginError(origin, name, error))
                continue
            assert case is not None
            case.name, case.package, case.origin = name, package, origin
            problems = case.problems()
            if problems:
                catalogue.errors.append(PluginError(origin, name, "; ".join(problems)))
            elif name in catalogue.cases:
                other = catalogue.cases[name].origin
                catalogue.errors.append(
                    PluginError(
                        origin,
                        name,
                        f"a case named {name!r} already comes from plugin {other!r}; rename one",
                    )
                )
            else:
                catalogue.cases[name] = case
    return catalogue


def _cases_in(module: ModuleType) -> Iterable[tuple[str, str, Case | None, str | None]]:
    """(name, package, case, error) for every case a plugin module offers."""
    if isinstance(getattr(module, "CASE", None), Case):
        yield module.__name__.rpartition(".")[2], module.__name__, module.CASE, None
        return
    for case in getattr(module, "CASES", ()):
        yield case.name or case.title, case.package or module.__name__, case, None
    for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
        if not info.ispkg:
            continue
        full = f"{module.__name__}.{info.name}"
        try:
            sub = importlib.import_module(full)
        except Exception as exc:  # noqa: BLE001 - reported as this case's problem
            yield info.name, full, None, f"cannot import {full}: {type(exc).__name__}: {exc}"
            continue
        case = getattr(sub, "CASE", None)
        if case is None:
            yield (
                info.name,
                full,
                None,
                (
                    f"{full} defines no CASE: add `CASE = races.catalogue.Case(...)` to its __init__.py"
                ),
            )
        elif not isinstance(case, Case):
            yield (
                info.name,
                full,
                None,
                f"{full}.CASE is a {type(case).__name__}, not a races.catalogue.Case",
            )
        else:
            yield info.name, full, case, None
