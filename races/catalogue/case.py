"""What a case is: one lesson, a broken program and its fixes, and the outcomes that judge them.

Outcomes are declared up front, as jcstress samples do: every outcome a variant's scenario
can produce (``"ok"``, or a failure kind such as ``"assertion"`` or ``"deadlock"``) is
listed as acceptable or forbidden, with what it means. The same forbidden outcome is the
*interesting* one for the broken variant (it must be shown) and must never appear for a
fix. The harness decides from these declarations, never from prose.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from races.vocabulary.kinds import ACCEPTABLE, FORBIDDEN, FailureKind

#: Every outcome a scenario run can have: it ended well, or failed in one of these ways.
OUTCOMES = ("ok", *(kind.value for kind in FailureKind))


@dataclass(frozen=True)
class Search:
    """How to explore a variant: ``races.explore`` keyword arguments."""

    strategy: str = "random"
    budget: int | None = None
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "budget": self.budget, "seed": self.seed, **self.options}


@dataclass
class Case:
    """One lesson of the catalogue.

    ``outcomes`` maps each outcome the scenarios may produce to (verdict, meaning), for
    example ``{"ok": (ACCEPTABLE, "every update counted"), "assertion": (FORBIDDEN,
    "an update was lost")}``. ``broken`` and ``fixes`` name the variant modules inside
    the case's package. ``find`` is how a broken variant is explored (it must show a
    forbidden outcome), ``prove`` how a fix is (it must show none; partial-order reduction
    by default, which proves it when every trace fits in the budget). ``needs`` is set when
    the scheduler cannot show the bug (it needs processes, or the real interpreter exit):
    ``races run`` then runs the variants on real processes instead, and says so. ``requires`` names optional packages the
    variants import (``("gevent",)``): without them the case is skipped, and says why.
    """

    title: str
    bug_class: str
    outcomes: dict[str, tuple[str, str]]
    primitives: tuple[str, ...] = ()
    granularity: str = "instruction"
    related: tuple[str, ...] = ()
    order: int = 1000
    broken: tuple[str, ...] = ("broken",)
    fixes: tuple[str, ...] = ("fixed",)
    find: Search = field(default_factory=lambda: Search("random", budget=500))
    prove: Search = field(default_factory=lambda: Search("dpor", budget=3000))
    max_steps: int = 20_000
    watch: tuple[str, ...] = ()
    needs: str | None = None
    #: Code the scheduler steps over as if it were the standard library (``races.explore``'s
    #: ``exclude``): a client library whose internals are not the lesson.
    exclude: tuple[str, ...] = ()
    #: Programs the lesson runs, each with how to install it (``(("memcached", "apt-get
    #: install memcached"),)``); without one the case is skipped, saying so.
    programs: tuple[tuple[str, str], ...] = ()
    #: For a case the scheduler cannot show (``needs``): how ``races run`` shows it on real
    #: threads and processes instead. A fix runs ``stress_runs`` times (the bound on how
    #: often it could fail comes from that number); a broken variant runs until its bug
    #: shows, at most that often. A run taking ``stress_timeout`` seconds is a hang.
    stress_runs: int = 30
    stress_timeout: float = 15.0
    requires: tuple[str, ...] = ()
    # Filled in by the registry:
    name: str = ""
    package: str = ""
    origin: str = ""

    @property
    def runtime(self) -> str:
        """The runtime its variants run on: a case's granularity "await" is asyncio's steps,
        "greenlet" gevent's; line and instruction steps are threads'."""
        return {"await": "asyncio", "greenlet": "gevent"}.get(self.granularity, "threads")

    @property
    def variants(self) -> tuple[str, ...]:
        return (*self.broken, *self.fixes)

    def forbidden(self) -> set[str]:
        return {name for name, (verdict, _) in self.outcomes.items() if verdict == FORBIDDEN}

    def missing(self) -> str | None:
        """Why the case cannot run here (an optional package or a program is not
        installed), in one line that says how to install it, or None."""
        absent = [name for name in self.requires if importlib.util.find_spec(name) is None]
        if absent:
            return (
                f"needs {' and '.join(absent)}, which {'is' if len(absent) == 1 else 'are'} "
                f"not installed: pip install {' '.join(absent)} (or pip install 'races[lessons]')"
            )
        for program, how in self.programs:
            if shutil.which(program) is None:
                return f"needs the program {program}, which is not installed here: {how}"
        return None

    def module(self, variant: str) -> ModuleType:
        if variant not in self.variants:
            raise KeyError(variant)
        return importlib.import_module(f"{self.package}.{variant}")

    def problems(self) -> list[str]:
        """What is wrong with the declaration, each with its fix; empty when it is sound."""
        found = []
        for name, declared in self.outcomes.items():
            if name not in OUTCOMES:
                found.append(
                    f"outcome {name!r} is not one races can observe; use one of {', '.join(OUTCOMES)}"
                )
            if not (
                isinstance(declared, tuple)
                and len(declared) == 2
                and declared[0] in (ACCEPTABLE, FORBIDDEN)
            ):
                found.append(
                    f"outcome {name!r} must be declared as (ACCEPTABLE or FORBIDDEN, 'what it means')"
                )
        if "ok" not in self.outcomes:
            found.append(
                "declare the 'ok' outcome, normally (ACCEPTABLE, 'what correct looks like')"
            )
        if not self.forbidden() and self.needs is None:
            found.append("declare at least one FORBIDDEN outcome: the bug the broken variant shows")
        if not self.broken:
            found.append("name the broken variant in broken=(...): a case teaches a bug")
        if not self.fixes:
            found.append("name at least one fix in fixes=(...)")
        if self.granularity not in ("line", "instruction", "await", "greenlet"):
            found.append(
                "granularity must be 'line', 'instruction', 'await' or 'greenlet', "
                f"not {self.granularity!r}"
            )
        if self.missing() is not None:
            return found  # the variants import what is missing: they cannot be checked here
        for variant in self.variants:
            try:
                module = self.module(variant)
            except ImportError as exc:
                found.append(
                    f"variant module {self.package}.{variant} cannot be imported ({exc}); "
                    f"add {variant}.py to the case's package or fix its name in the Case"
                )
                continue
            if not callable(getattr(module, "scenario", None)):
                found.append(
                    f"{self.package}.{variant} has no scenario() function: add a zero-argument "
                    "scenario() that runs the program and raises when it goes wrong"
                )
        return found
