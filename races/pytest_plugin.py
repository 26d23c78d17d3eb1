"""The pytest plugin: cheap to import, it only registers what races adds to pytest.

``@pytest.mark.races(strategy=..., budget=..., seed=..., granularity=...)`` runs the test
body as a scenario under the scheduler, once per schedule; a failure is reported with its
minimal interleaving and the line that replays it. With ``runtime="gevent"`` the
test is gevent code: it runs in a monkey-patched child process, so it takes no fixtures.

``--races-detect`` runs every other test once under the detector, as ThreadSanitizer
does for C (its threads free, on real locks, real I/O and real time): a test that passes
still fails when its reads and writes show a race that another interleaving would hit,
with the report that names it. The locks every test takes
while holding others make one lock-order graph for the whole run (across xdist workers
too): locks that one test takes in one order and another test in the other form a cycle
no single test shows, reported at the end of the run, which then fails.

``--races-cases`` adds every registered case of the catalogue as tests: a broken
variant's test passes when the scheduler shows its bug, a fix's when none is found.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from races.runtimes.threads import births

MARKER_HELP = (
    "races(strategy='random', budget=None, seed=None, granularity='instruction', **options): "
    "run the test body under the races scheduler, across many interleavings"
)
SEED_HELP = "seed for races' schedule search (default: 0)"
BUDGET_HELP = "schedules per test run under the races scheduler (default: the strategy's)"
STRATEGY_HELP = "races search strategy, one of: {names} (default: random)"
DETECT_HELP = (
    "run every test once under races' detector: a test whose reads and writes show a race "
    "another interleaving would hit (lost update, check-then-act, lock-order inversion) fails"
)
CASES_HELP = "collect every case of the races catalogue as tests (broken variants must fail)"
HTML_HELP = (
    "write an HTML page for each failing test that races ran into DIR: the interleaving "
    "as swimlanes, the conflicting accesses, the replay line"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("races", "race detection under a deterministic scheduler")
    group.addoption("--races-seed", type=int, default=None, help=SEED_HELP)
    group.addoption("--races-budget", type=int, default=None, help=BUDGET_HELP)
    from races.core.strategies.registry import names, strategy_class

    def strategy(name: str) -> str:
        try:
            strategy_class(name)
        except ValueError as exc:  # an unknown name: the message lists the known ones
            raise argparse.ArgumentTypeError(str(exc)) from None
        return name

    strategies = STRATEGY_HELP.format(names=", ".join(names()))
    group.addoption("--races-strategy", default=None, type=strategy, help=strategies)
    group.addoption("--races-cases", action="store_true", default=False, help=CASES_HELP)
    group.addoption("--races-detect", action="store_true", default=False, help=DETECT_HELP)
    group.addoption("--races-html", metavar="DIR", default=None, help=HTML_HELP)
    parser.addini("races_seed", SEED_HELP, default="0")
    parser.addini("races_budget", BUDGET_HELP, default="")
    parser.addini("races_strategy", strategies, default="random")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Before the first conftest, and the test modules and what they import: the locks
    those make have their births on record, to be named where a controlled thread waits
    for one. Undone with the session (one pytest run inside another keeps the outer's)."""
    births.install()
    early_config.add_cleanup(births.uninstall)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


#: The exit status of a run that Ctrl-C stopped while races was exploring, as for the
#: ``races`` command (pytest's own is 2, which also means a usage error).
EXIT_INTERRUPTED = 130
_exploring = False


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus == pytest.ExitCode.INTERRUPTED and _exploring:
        session.exitstatus = EXIT_INTERRUPTED
    graph = _LOCK_GRAPH.get(session.config)
    if graph is None:
        return
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports the whole run
        workeroutput[_EDGES_KEY] = graph.export()
        return
    if graph.cycles() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True, wrapper=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> Generator[None, object, object]:
    """pytest-timeout's limit, with how far an exploration under way had got.

    Whichever way pytest-timeout stops the test (SIGALRM in the main thread, or a timer
    thread that dumps every stack and exits), races first writes one line: the scenario,
    the schedules run, and whether a failure was being shrunk.
    """
    result = yield
    method = getattr(settings, "method", None)
    if method == "signal" and threading.current_thread() is threading.main_thread():
        fire = signal.getsignal(signal.SIGALRM)
        if callable(fire):

            def on_alarm(signum: int, frame: Any) -> Any:
                __tracebackhide__ = True
                _say_progress(item)
                return fire(signum, frame)

            signal.signal(signal.SIGALRM, on_alarm)
    else:
        for timer in threading.enumerate():
            if isinstance(timer, threading.Timer) and timer.name.endswith(f" {item.nodeid}"):
                timer.function = _saying_progress(item, timer.function)
    return result


def _saying_progress(item: pytest.Item, fire: Callable[..., Any]) -> Callable[..., Any]:
    def on_timer(*args: Any, **kwargs: Any) -> Any:
        _say_progress(item)
        return fire(*args, **kwargs)

    return on_timer


def _say_progress(item: pytest.Item) -> None:
    from races.core.exploration import progress

    where = progress()
    if where is not None:
        terminal = item.config.get_terminal_writer()
        terminal.line(f"races: the test's time limit stopped the exploration: {where}")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """An xdist worker is done: its tests' lock-order edges join the run's graph."""
    graph = _LOCK_GRAPH.get(node.config)
    edges = getattr(node, "workeroutput", {}).get(_EDGES_KEY)
    if graph is not None and edges:
        graph.load(edges)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    graph = _LOCK_GRAPH.get(config)
    if graph is None or getattr(config, "workeroutput", None) is not None:
        return
    cycles = graph.cycles()
    if cycles:
        terminalreporter.section("races: lock-order inversions across tests", red=True)
        for cause in cycles:
            terminalreporter.write_line(cause)
        terminalreporter.write_line(
            "Each test passes alone; together they take the same locks in both orders, so "
            "threads that run them at once can deadlock. The run fails."
        )


_EDGES_KEY = "races_lock_edges"


class _LockGraph:
    """The lock-order graph of a whole pytest run: each test's edges, by lock class."""

    def __init__(self) -> None:
        from races.core.detect import LockEdge

        self.edges: dict[Any, LockEdge] = {}

    def add(self, nodeid: str, edges: Any) -> None:
        from dataclasses import replace

        from races.core.detect import add_edge

        for edge in edges:
            add_edge(self.edges, replace(edge, who=f"{edge.who} in {nodeid}"))

    def export(self) -> list[tuple[Any, ...]]:
        """The edges as plain tuples, which cross from an xdist worker to the controller."""
        return [
            (e.held, e.taken, e.thread, e.held_at, e.taken_at, sorted(e.gates), e.who)
            for e in self.edges.values()
        ]

    def load(self, rows: list[Any]) -> None:
        from races.core.detect import LockEdge, add_edge

        for held, taken, thread, held_at, taken_at, gates, who in rows:
            edge = LockEdge(
                tuple(held),
                tuple(taken),
                thread,
                tuple(held_at) if held_at else None,
                tuple(taken_at) if taken_at else None,
                frozenset(tuple(g) for g in gates),
                who,
            )
            add_edge(self.edges, edge)

    def cycles(self) -> list[str]:
        """The cycles whose edges come from more than one test (a test's own cycle failed
        that test already), told as reports."""
        from races.core.detect import lock_cycles
        from races.core.explain import explain_cycle

        told = []
        for cycle in lock_cycles(self.edges.values()):
            tests = {edge.who.rpartition(" in ")[2] for edge in cycle.edges}
            if len(tests) > 1:
                told.append(explain_cycle(cycle).headline)
        return told


class _Stash:
    """The run's lock-order graph, made when ``--races-detect`` is on."""

    def __init__(self) -> None:
        self.key = pytest.StashKey[_LockGraph]()

    def get(self, config: pytest.Config) -> _LockGraph | None:
        if not config.getoption("--races-detect", default=False):
            return None
        graph = config.stash.get(self.key, None)
        if graph is None:
            graph = config.stash[self.key] = _LockGraph()
        return graph


_LOCK_GRAPH = _Stash()


def _setting(config: pytest.Config, name: str) -> Any:
    value = config.getoption(f"--races-{name}")
    if value is None:
        value = config.getini(f"races_{name}") or None
    if value is not None and name in ("seed", "budget"):
        value = int(value)
    return value


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    __tracebackhide__ = True
    marker = pyfuncitem.get_closest_marker("races")
    if marker is None:
        if pyfuncitem.config.getoption("--races-detect"):
            return _detect(pyfuncitem)
        return None
    import races
    from races.vocabulary.errors import RacesError

    options = dict(marker.kwargs)
    config = pyfuncitem.config
    for name in ("strategy", "budget", "seed"):
        command_line = config.getoption(f"--races-{name}")
        if command_line is not None or name not in options:
            options[name] = command_line if command_line is not None else _setting(config, name)
    fixtures = pyfuncitem._fixtureinfo.argnames
    gevent = options.get("runtime") == "gevent" or options.get("granularity") == "greenlet"
    if gevent and fixtures:
        raise RacesError(
            f"{pyfuncitem.nodeid}: a greenlet test runs in a child process that gevent has "
            f"monkey-patched, where fixtures ({', '.join(fixtures)}) cannot follow it; "
            "take no fixtures, or set the scene up inside the test"
        )
    with _exploration(), _internal_errors():
        result = races.explore(_scenario(pyfuncitem), **options)
    _write_page(pyfuncitem, result)
    result.raise_if_failed()
    return True


def _detect(pyfuncitem: pytest.Function) -> bool | None:
    """Run a plain test once under the detector; its findings fail it."""
    __tracebackhide__ = True  # the report is the failure: races' frames add nothing
    import inspect

    import races

    test = pyfuncitem.obj
    if inspect.iscoroutinefunction(test) or inspect.isasyncgenfunction(test):
        return None  # an async test: its own plugin runs it
    with _exploration(), _internal_errors():
        result = races.detect(_scenario(pyfuncitem))
    graph = _LOCK_GRAPH.get(pyfuncitem.config)
    if graph is not None:
        graph.add(pyfuncitem.nodeid, result.lock_edges)
    _write_page(pyfuncitem, result)
    result.raise_if_failed()
    return True


def _write_page(item: pytest.Item, result: Any) -> None:
    """With ``--races-html DIR``: a failed result's page, named after the test, and a
    line in the test's report that says where it is."""
    directory = item.config.getoption("--races-html")
    if directory is None or result is None or not result.failed:
        return
    import re
    from pathlib import Path

    name = re.sub(r"[^\w.-]+", "_", item.nodeid).strip("_") + ".html"
    path = Path(item.config.invocation_params.dir, directory, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(result.to_html(), encoding="utf-8")
    item.add_report_section("call", "races", f"the report's page: {path}")


def _scenario(pyfuncitem: pytest.Function) -> Callable[[], None]:
    """The test body with its fixtures, as a scenario named after the test."""
    test = pyfuncitem.obj
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    def scenario() -> None:
        test(**kwargs)

    scenario.__module__ = test.__module__
    scenario.__qualname__ = test.__qualname__
    return scenario


@contextlib.contextmanager
def _internal_errors() -> Iterator[None]:
    """races' own failure is reported as such, in one paragraph, not as the test's bug."""
    from races.vocabulary.errors import InternalError

    try:
        yield
    except InternalError as exc:
        pytest.fail(f"{INTERNAL_ERROR}: {exc}", pytrace=False)


#: How a failure of races itself is reported: not a verdict on the test.
INTERNAL_ERROR = "races: internal error (not a verdict on this test)"


@contextlib.contextmanager
def _exploration() -> Iterator[None]:
    """Marks the time races explores: a Ctrl-C then ends pytest with ``EXIT_INTERRUPTED``."""
    global _exploring
    _exploring = True
    try:
        yield
    except KeyboardInterrupt:
        raise  # pytest reports it, with how far the exploration got
    else:
        _exploring = False


class CaseFailure(Exception):
    """A case variant that did not behave as its case declares."""


class CaseItem(pytest.Item):
    """One variant of one catalogue case, run under the scheduler."""

    def __init__(self, *, case: Any, variant: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.variant = variant

    def runtest(self) -> None:
        from races.catalogue.runner import run_variant

        with _exploration(), _internal_errors():
            report = run_variant(self.case, self.variant)
        if not report.passed:
            _write_page(self, report.result)
            raise CaseFailure(report.render())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int, str]:
        return self.case.package, 0, f"races case {self.case.name}.{self.variant}"


class PluginErrorItem(pytest.Item):
    """A plugin or case that could not be loaded: one failing test that says why."""

    def __init__(self, *, error: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise CaseFailure(str(self.error))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[str, int, str]:
        return self.error.plugin, 0, f"races plugin {self.error.plugin}"


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("--races-cases"):
        return
    from races.catalogue import load_catalogue

    catalogue = load_catalogue()
    for case in catalogue.ordered():
        for variant in case.variants:
            items.append(
                CaseItem.from_parent(
                    session, name=f"races::{case.name}::{variant}", case=case, variant=variant
                )
            )
    for error in catalogue.errors:
        items.append(
            PluginErrorItem.from_parent(
                session, name=f"races::{error.plugin}::{error.case or 'plugin'}", error=error
            )
        )
