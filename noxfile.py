"""Sessions for developing races. `nox -l` lists them; `nox` runs the default ones."""

from __future__ import annotations

import os

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


@nox.session(python=LATEST)
def races(session: nox.Session) -> None:
    """Watch every race happen under the scheduler, and every fix hold."""
    session.install("-e", ".[gevent]")  # with gevent, for the greenlet lesson
    session.run("races", "run", *session.posargs)
    if not session.posargs:
        # Beside it, what real threads show of the first lesson (`nox -s stress`: all).
        session.run("races", "stress", "unlocked_counter", "--runs", "5")


@nox.session(python=LATEST)
def lint(session: nox.Session) -> None:
    """Check style and common mistakes with ruff."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


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


@nox.session(python=LATEST, default=False)
def stress(session: nox.Session) -> None:
    """Run every case on real threads: outcome shares beside what the scheduler needed."""
    install(session)
    session.run("races", "stress", "--all", *(session.posargs or ["--runs", "20"]))


@nox.session(python=PYTHONS, default=False)
def bench(session: nox.Session) -> None:
    """Measure handoffs, schedules per second and schedules to failure, against frontrun."""
    install(session, "bench")
    session.run("python", "-m", "races.bench", *session.posargs)
