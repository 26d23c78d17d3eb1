"""The path of one exploration through the core: search, shrink, confirm, report.

    scenario -> runtime -> strategy -> trace -> minimise -> report

A strategy hands the runtime one chooser per run until a run fails or the budget is
spent (``Strategy.search``). A failure is shrunk (``minimize``), replayed strictly to
confirm it (``confirm``), and its steps become a ``Trace``; the ``Result`` carries all of
it. Replaying a schedule is the same path with one chooser and no search. Nothing here
knows which runtime it drives: threads, asyncio and gevent all go through ``Runtime``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from races.core.confirm import confirm, not_reproducible
from races.core.detect import Findings, LockCycle, LockEdge, add_edge, analyse, lock_cycles
from races.core.explain import Cause, causes, explain_cycle, finding_failure
from races.core.focus import Focus, Focusing
from races.core.minimize import Shrinker, Shrunk
from races.core.parallel import ParallelSearch
from races.core.result import Interrupted, Result
from races.core.runtime import Runtime, make_watch, scenario_name
from races.core.strategies.base import Chooser, GoOnChooser, Strategy
from races.core.strategies.dpor import DPORStrategy
from races.core.strategies.replay import ReplayChooser
from races.core.trace import build_trace
from races.vocabulary.errors import ScheduleDivergedError
from races.vocabulary.outcome import Failure, Outcome
from races.vocabulary.schedule import Schedule

#: The explorations under way in this process, innermost last: what a test runner's
#: timeout can ask how far they got.
RUNNING: list[Exploration] = []


def progress() -> str | None:
    """How far the innermost exploration under way has got, in one line, or None."""
    if not RUNNING:
        return None
    told: str = RUNNING[-1].interrupted().args[0]
    return told.removeprefix("interrupted").lstrip(": ")


@dataclass(frozen=True)
class Progress:
    """How far an exploration has got: what its ``on_progress`` is told after each run."""

    #: Schedules the search has run, of its ``budget``.
    schedules: int
    budget: int
    #: The schedule that failed first, once one has.
    found_after: int | None
    #: Runs spent shrinking the failure so far.
    replays: int


class Exploration:
    """One call of ``explore``: search, shrink, confirm; and how far it got, for Ctrl-C."""

    def __init__(
        self,
        scenario: Callable[..., object],
        strategy: Strategy,
        *,
        seed: int | None,
        watch: Sequence[str] = (),
        shrink_time: float,
        detect: bool = True,
        workers: int = 1,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.scenario = scenario
        self.detect = detect
        self.workers = workers
        self.strategy = strategy
        self.how = strategy.name + (f", seed {seed}" if strategy.seeded else "")
        self.watch = watch
        self.shrink_time = shrink_time
        self.session: Runtime | None = None
        self.found: Outcome | None = None
        self.shrinker: Shrinker | None = None
        self.first = 0
        self.on_progress = on_progress
        self.budget = 0
        self.searched = 0  # runs of the search, as on_progress is told them
        self.first_seen: int | None = None

    def run(self, session: Runtime, budget: int) -> Result:
        self.session = session
        self.budget = budget
        strategy = self.strategy
        watcher = _Watcher(session, self.detect)
        if self.workers > 1:
            assert isinstance(strategy, DPORStrategy)
            parallel = ParallelSearch(
                strategy, session.run, self.workers, detect=self.detect, predicted=watcher.adopt
            )
            search = parallel.search(budget)
        else:
            focusing = session if strategy.samples and isinstance(session, Focusing) else None
            if focusing is not None:
                focusing.focus = Focus()
            try:
                search = strategy.search(self._telling(watcher.run), budget)
            finally:
                if focusing is not None:
                    focusing.focus = None
            if focusing is not None:
                # What the report shows and replays is counted in every step.
                if search.failure is not None:
                    search.failure = _unfocused(focusing, search.failure)
                if watcher.first is not None:
                    watcher.first = focusing.translate(watcher.first)
        summary = strategy.describe_pass(search)
        if session.points in ("await", "greenlet") and strategy.name == "dfs" and search.exhausted:
            # Tasks never preempt each other: the bound never applied, every order was run.
            what = "tasks" if session.points == "await" else "greenlets"
            summary = f"no failure in all {search.schedules} orders of the ready {what}"
        result = Result(
            scenario=scenario_name(self.scenario),
            strategy=strategy.name,
            granularity=session.points,
            schedules=search.schedules,
            summary=summary,
        )
        if search.failure is None:
            if watcher.first is not None:
                self._predicted(result, watcher)
            return result
        self.found = search.failure
        self.first = search.first_failure or search.schedules
        self.shrinker = Shrinker(
            self._telling(session.run), search.failure, seconds=self.shrink_time
        )
        session.recording = False
        try:
            shrunk = self.shrinker.shrink()
        finally:
            session.recording = True
        watch = make_watch(self.scenario, self.watch)
        confirmed = confirm(lambda chooser: session.run(chooser, watch), session.points, shrunk)
        outcome = confirmed.outcome
        result.summary = self._found(shrunk)
        result.found_after = self.first
        result.shrink_replays = shrunk.replays
        result.shrink_seconds = shrunk.seconds
        result.shrink_stopped = shrunk.stopped
        result.schedule = confirmed.schedule
        result.trace = build_trace(outcome, self.watch)
        result.preemptions = outcome.preemptions
        assert outcome.failure is not None
        _, told = causes(outcome, result.trace) if self.detect else (None, [])
        result.findings = told + watcher.causes(exclude=told)
        if confirmed.reproducible:
            result.failure = with_cause(outcome.failure, told) if told else outcome.failure
        else:
            result.failure = not_reproducible(outcome.failure, confirmed.divergence)
            result.summary = (
                f"found by {self.how} after {plural(self.first, 'schedule')}; not reproducible"
            )
        return result

    def _telling(self, run: Callable[[Chooser], Outcome]) -> Callable[[Chooser], Outcome]:
        """``run``, and after it ``on_progress`` told how far the exploration has got. (A
        search split between processes tells nothing until it is done.)"""
        tell = self.on_progress
        if tell is None:
            return run

        def run_and_tell(chooser: Chooser) -> Outcome:
            outcome = run(chooser)
            if self.shrinker is None:
                self.searched += 1
                if outcome.failed and self.first_seen is None:
                    self.first_seen = self.searched
            replays = 0 if self.shrinker is None else self.shrinker.result.replays
            tell(Progress(self.searched, self.budget, self.first_seen, replays))
            return outcome

        return run_and_tell

    def _predicted(self, result: Result, watcher: _Watcher) -> None:
        """No run failed, but one run's accesses predict a failure: report that run."""
        outcome = watcher.first
        assert outcome is not None
        trace = build_trace(outcome, self.watch)
        _, told = causes(outcome, trace)
        result.findings = told + watcher.causes(exclude=told)
        result.failure = finding_failure(result.findings[0], len(result.findings) - 1)
        source = (
            f"the accesses of schedule {watcher.first_at}"
            if watcher.alone
            else f"the lock orders of schedules 1-{watcher.first_at} together"
        )
        result.summary = (
            f"no schedule failed in {plural(result.schedules, 'schedule')} ({self.how}), "
            f"but {source} predict {plural(len(result.findings), 'finding')}"
        )
        result.schedule = Schedule(result.granularity, outcome.deviations())
        result.trace = trace
        result.preemptions = outcome.preemptions
        result.found_after = watcher.first_at

    def _found(self, shrunk: Shrunk) -> str:
        text = f"found by {self.how} after {plural(self.first, 'schedule')}; "
        if shrunk.stopped is None:
            return text + f"shrunk in {plural(shrunk.replays, 'replay')}, {shrunk.seconds:.1f} s"
        limit = (
            f"its {self.shrink_time:g} s budget" if shrunk.stopped == "time" else "its run budget"
        )
        return text + (
            f"shrinking stopped at {limit} after {plural(shrunk.replays, 'replay')}: "
            "a smaller interleaving may exist (raise shrink_time to look further)"
        )

    def interrupted(self) -> Interrupted:
        """What to tell the user who pressed Ctrl-C: how far it got, what it found."""
        runs = self.session.runs if self.session is not None else 0
        name = scenario_name(self.scenario)
        if self.found is None:
            return Interrupted(
                f"interrupted: no failure of {name} in the {plural(runs, 'schedule')} run so far "
                f"({self.how})"
            )
        best = self.shrinker.result.best if self.shrinker is not None else self.found
        assert best.failure is not None and self.session is not None
        result = Result(
            scenario=name,
            strategy=self.strategy.name,
            granularity=self.session.points,
            schedules=self.first,
            summary=(
                f"found by {self.how} after {plural(self.first, 'schedule')}; "
                "interrupted while shrinking"
            ),
            failure=best.failure,
            schedule=Schedule(self.session.points, best.deviations()),
            trace=build_trace(best),
            preemptions=best.preemptions,
            found_after=self.first,
        )
        return Interrupted(
            f"interrupted while shrinking a failure found after {plural(self.first, 'schedule')} "
            f"({self.how}): {best.failure.kind}: {best.failure.message}\n"
            f"To replay (not yet confirmed): {result.replay_line}",
            result,
        )


class _Watcher:
    """Runs of a search, each analysed for what its accesses predict (``detect``)."""

    def __init__(self, session: Runtime, detect: bool) -> None:
        self.session = session
        self.detect = detect
        self.findings = Findings()
        self.first: Outcome | None = None  # the first run that predicted anything
        self.first_at = 0
        self.alone = True  # whether that run predicts it on its own
        self.runs = 0

    def run(self, chooser: Chooser) -> Outcome:
        outcome = self.session.run(chooser)
        self.runs += 1
        if self.detect and outcome.events and outcome.failure is None:
            found = analyse(outcome)
            edges = len(self.findings.lock_edges)
            self.findings.merge(found)
            if self.first is None and (
                found or (len(self.findings.lock_edges) > edges and self._cycles())
            ):
                # This run predicts a failure, or closes a lock cycle with the edges of
                # earlier runs: it is the run a report shows.
                self.first, self.first_at = outcome, self.runs
                self.alone = bool(found)
        return outcome

    def adopt(self, outcome: Outcome, runs: int, alone: bool, edges: Sequence[LockEdge]) -> None:
        """The run another process made whose accesses predict a failure (``alone``: on
        their own; else with ``edges``, the lock orders of the runs before it), run again
        here."""
        self.findings.merge(analyse(outcome))
        for edge in edges:
            add_edge(self.findings.lock_edges, edge)
        self.first, self.first_at, self.alone = outcome, runs, alone

    def _cycles(self) -> list[LockCycle]:
        return lock_cycles(self.findings.lock_edges.values())

    def causes(self, exclude: Sequence[Cause]) -> list[Cause]:
        """Lock-order cycles of the graph of all runs that the report does not tell yet."""
        if self.first is None:
            return []
        told = {c.headline for c in exclude}
        return [cause for cause in map(explain_cycle, self._cycles()) if cause.headline not in told]


def _unfocused(session: Focusing, found: Outcome) -> Outcome:
    """The failing run of a focused search, counted in every step; the run as it was if,
    made again, it does not fail the same way (confirming then says it is not
    reproducible)."""
    again = session.translate(found)
    if again.failure is None or found.failure is None:
        return found
    return again if again.failure.signature == found.failure.signature else found


def replay_in(
    session: Runtime, scenario: Callable[..., object], schedule: Schedule, watch: Sequence[str]
) -> Result:
    """Run ``scenario`` once in ``session``, exactly as ``schedule`` says."""
    chooser = ReplayChooser(schedule.switches, strict=True)
    outcome = session.run(chooser, make_watch(scenario, watch))
    unused = chooser.unused()
    if unused:
        step, thread = unused[0]
        raise ScheduleDivergedError(
            f"the schedule switches to thread {thread} at step {step}, but the run "
            f"{'ended' if step > outcome.steps else 'had no choice to make'} there "
            f"({outcome.steps} steps in all). The scenario or the code it calls has changed "
            "since the schedule was recorded, or it is not deterministic"
        )
    return Result(
        scenario=scenario_name(scenario),
        strategy="replay",
        granularity=schedule.granularity,
        schedules=1,
        summary=f"replayed {schedule}" + ("" if outcome.failed else ": no failure"),
        failure=outcome.failure,
        schedule=schedule,
        trace=build_trace(outcome, watch),
        preemptions=outcome.preemptions,
    )


def run_in(
    session: Runtime,
    scenario: Callable[..., object],
    chooser: Chooser,
    watch: Sequence[str],
    strategy: str,
) -> Result:
    """Run ``scenario`` once in ``session``, each choice made by ``chooser`` (``strategy``
    names where the choices come from). The result's schedule is the run's departures
    from the default order, which replay it; a failure's report leads with its cause."""
    outcome = session.run(chooser, make_watch(scenario, watch))
    schedule = Schedule(session.points, outcome.deviations())
    trace = build_trace(outcome, watch)
    failure = outcome.failure
    told: list[Cause] = []
    if failure is not None:
        _, told = causes(outcome, trace)
        failure = with_cause(failure, told) if told else failure
    return Result(
        scenario=scenario_name(scenario),
        strategy=strategy,
        granularity=session.points,
        schedules=1,
        summary=f"one run, {strategy} interleaving {schedule}"
        + ("" if failure is not None else ": no failure"),
        failure=failure,
        schedule=schedule,
        trace=trace,
        preemptions=outcome.preemptions,
        findings=told,
    )


def detect_in(session: Runtime, scenario: Callable[..., object]) -> Result:
    """Run ``scenario`` once, each thread as far as it goes, and report what its accesses
    predict: races and lock-order cycles that other interleavings would hit."""
    outcome = session.run(GoOnChooser())
    trace = build_trace(outcome)
    findings, told = causes(outcome, trace)
    real = getattr(session, "real_threads", False)
    result = Result(
        scenario=scenario_name(scenario),
        strategy="detect",
        granularity=session.points,
        schedules=1,
        summary=f"one run{' on real threads' if real else ''}, {plural(len(told), 'finding')}",
        failure=outcome.failure,
        schedule=Schedule(session.points, outcome.deviations()),
        trace=trace,
        preemptions=outcome.preemptions,
        findings=told,
        lock_edges=list(findings.lock_edges.values()),
        real_threads=real,
    )
    if result.failure is None and told:
        result.failure = finding_failure(told[0], len(told) - 1)
    elif result.failure is not None and told:
        result.failure = with_cause(result.failure, told)
    return result


def with_cause(failure: Failure, told: Sequence[Cause]) -> Failure:
    """A failure's report, led by the cause its run's accesses show."""
    lead = told[0]
    report = lead.headline + (f"\n\n{lead.focus}" if lead.focus else "")
    # An uncaught exception's own report only says where it was raised: the headline
    # names it, and the cause's focused steps end with that step.
    if failure.report and not (failure.pattern == "uncaught exception" and lead.focus):
        report += "\n\n" + failure.report
    return replace(failure, report=report, pattern=lead.pattern)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
