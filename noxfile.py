"""Sessions for developing races. `nox -l` lists them; `nox` runs the default ones."""

from __future__ import annotations

import os
import platform
import sys
import time

import nox

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS = nox.project.python_versions(PYPROJECT)
LATEST = PYTHONS[-1]

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["races", "tests", "lint", "typecheck"]
# A missing interpreter is skipped on a contributor's machine, and fails CI.
nox.options.error_on_missing_interpreters = bool(os.environ.get("CI"))


def install(session: nox.Session, *groups: str) -> None:
    session.install("-e", ".")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest, in parallel, every test under a timeout)."""
    install(session, "test")
    args = session.posargs or ["tests"]
    session.run("pytest", "-n", "auto", "--timeout=300", *args)


def supported_python(session: nox.Session) -> None:
    """The learner's sessions run on the Python nox runs on: it must be one races supports."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running not in PYTHONS:
        session.error(
            f"races supports Python {', '.join(PYTHONS)}, and nox runs on "
            f"{platform.python_version()}: install nox with one of those "
            f"(python{PYTHONS[-1]} -m pip install nox)"
        )


# The main job: no pinned Python (a newcomer has one), the lessons' extras installed.
@nox.session
def races(session: nox.Session) -> None:
    """Watch every race happen and every fix hold: the main job, on this Python."""
    start = time.monotonic()
    supported_python(session)
    session.install("-e", ".[lessons]")  # gevent and pymemcache, for their lessons
    session.run("races", "run", *session.posargs)
    if not session.posargs:
        # Beside it, what real threads show of the first lesson (`nox -s stress`: all).
        session.run("races", "stress", "unlocked_counter", "--runs", "20", "--time", "8")
    session.log(
        f"The main job took {time.monotonic() - start:.0f} s on {os.cpu_count()} cores "
        "(its budget is 90 s on 2 cores, with the venv reused)."
    )


@nox.session(python=LATEST)
def lint(session: nox.Session) -> None:
    """Check style and common mistakes with ruff, and the import contracts."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # The architecture: layers, independent runtimes, optional packages (pyproject.toml).
    session.run("lint-imports")


@nox.session(python=PYTHONS[0])
def typecheck(session: nox.Session) -> None:
    """Type-check races/ with mypy in strict mode."""
    install(session, "typecheck")
    session.run("mypy")


@nox.session(python=LATEST, default=False)
def coverage(session: nox.Session) -> None:
    """Measure test coverage of races/ (threads included) and report it."""
    install(session, "test")
    session.run("coverage", "erase")
    session.run(
        "coverage", "run", "-m", "pytest", "-p", "no:xdist", "--timeout=600", *session.posargs
    )
    session.run("coverage", "combine")
    session.run("coverage", "report")


@nox.session(default=False)
def stress(session: nox.Session) -> None:
    """Run every case on real threads: outcome shares beside what the scheduler needed."""
    supported_python(session)
    session.install("-e", ".[lessons]")
    session.run("races", "stress", "--all", *(session.posargs or ["--runs", "20"]))


@nox.session(python=PYTHONS, default=False)
def bench(session: nox.Session) -> None:
    """Measure handoffs, schedules per second and schedules to failure, against frontrun."""
    install(session, "bench")
    session.run("python", "-m", "benchmarks.bench", *session.posargs)


@nox.session(python=LATEST, default=False)
def mutants(session: nox.Session) -> None:
    """Mutation-test the core's pure parts against their unit and property tests (slow)."""
    session.install("-e", ".")
    session.install(*nox.project.dependency_groups(PYPROJECT, "mutants"))
    # mutmut works in ./mutants and keeps its results there, so a rerun resumes.
    session.run("mutmut", "run", "--max-children", str(os.cpu_count() or 1), *session.posargs)
    session.run("mutmut", "export-cicd-stats")
    session.run("python", "benchmarks/mutation_score.py", "mutants/mutmut-cicd-stats.json")
