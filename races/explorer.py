"""``explore`` and ``replay``: the public entry points to the scheduler."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from races.errors import (
    InternalError,
    Interrupted,
    RacesError,
    ScheduleDivergedError,
    ScheduleError,
)
from races.result import Result
from races.schedule import Schedule
from races.scheduler import greenlet_child
from races.scheduler.async_session import AsyncSession
from races.scheduler.confirm import confirm, not_reproducible
from races.scheduler.minimize import DEFAULT_TIME as DEFAULT_SHRINK_TIME
from races.scheduler.minimize import Shrinker, Shrunk
from races.scheduler.outcome import Outcome
from races.scheduler.session import Session, make_watch
from races.scheduler.trace import build_trace
from races.scheduler.tracing import Granularity, Mechanism
from races.strategies import Strategy, make_strategy
from races.strategies.replay import ReplayChooser

if TYPE_CHECKING:
    from races.scheduler.greenlet_session import GreenletSession

DEFAULT_BUDGET = {"random": 1000, "pct": 1000, "hypothesis": 1000, "dfs": 100_000}


def explore(
    scenario: Callable[[], object],
    *,
    strategy: str = "random",
    budget: int | None = None,
    seed: int | None = 0,
    granularity: Granularity | Literal["greenlet"] = "instruction",
    max_steps: int = 50_000,
    preemption_bound: int = 2,
    depth: int = 3,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    watch: Sequence[str] = (),
    watchdog: float = 10.0,
    tracing: Mechanism = "auto",
    database: object = "default",
    shrink_time: float = DEFAULT_SHRINK_TIME,
) -> Result:
    """Run ``scenario`` under the scheduler, once per schedule, until it fails or the budget ends.

    ``scenario`` is any zero-argument callable: ordinary threading code that signals
    failure by raising, by an exception in one of its threads, or by deadlocking. A
    coroutine function is run as the main task of a controlled event loop instead, and
    its schedules choose which ready task runs at each ``await``. With
    ``granularity="greenlet"`` the scenario is gevent code: it runs in a child process
    after ``gevent.monkey.patch_all()``, and its schedules choose which greenlet the hub
    wakes whenever one waits (so it must be importable by name).
    ``strategy`` is ``"random"``, ``"pct"`` (priority change points, ``depth``), ``"dfs"``
    (every schedule with at most ``preemption_bound`` preemptions) or ``"hypothesis"``.
    ``budget`` caps the schedules run (1000; 100,000 for dfs). ``granularity`` places switch
    points before each ``"instruction"`` or each ``"line"`` of the code under test (set it
    with ``include``/``exclude``: module names or path globs). ``max_steps`` ends a run that
    never finishes. ``watch`` names module-level variables of the scenario to show after
    every step of the reported interleaving. ``watchdog`` is how many real seconds a thread
    may go without reaching a switch point before races reports it blocked outside its
    control. ``database`` is the Hypothesis example database the ``"hypothesis"`` strategy
    stores failures in (Hypothesis' default, or None for none).

    A failure is shrunk to the fewest preemptions, then the fewest steps, for at most
    ``shrink_time`` seconds, then replayed to confirm it. The result's ``raise_if_failed()``
    raises it with the interleaving and the line that replays it. Ctrl-C raises
    ``races.Interrupted``, which says how far the exploration got.
    """
    if strategy not in DEFAULT_BUDGET:
        make_strategy(strategy, seed=seed)  # raises the error that lists the strategies
    if budget is None:
        budget = DEFAULT_BUDGET[strategy]
    if budget < 1:
        raise ValueError(f"budget must be at least 1 schedule, not {budget}")
    if shrink_time < 0:
        raise ValueError(f"shrink_time must be 0 seconds or more, not {shrink_time}")
    _check_watch(scenario, watch)
    if granularity == "greenlet" and not greenlet_child.INSIDE:
        options = dict(strategy=strategy, budget=budget, seed=seed, granularity=granularity)
        options.update(max_steps=max_steps, depth=depth, watch=watch, watchdog=watchdog)
        options.update(preemption_bound=preemption_bound, database=database)
        options.update(shrink_time=shrink_time)
        return greenlet_child.run_in_child("explore", scenario, options)  # type: ignore[no-any-return]
    search_strategy = make_strategy(
        strategy,
        seed=seed,
        depth=depth,
        preemption_bound=preemption_bound,
        database_key=_database_key(scenario, granularity),
        database=database,
    )
    # Coroutines switch only at awaits, whatever granularity was asked for.
    points: str = "await" if is_coroutine_scenario(scenario) else granularity
    seed_text = f", seed {seed}" if strategy in ("random", "pct", "hypothesis") else ""
    exploration = _Exploration(scenario, strategy + seed_text, points, watch, shrink_time)
    session = open_session(scenario, points, include, exclude, max_steps, watchdog, tracing)
    try:
        with session:
            return exploration.run(session, search_strategy, budget)
    except KeyboardInterrupt:
        raise exploration.interrupted() from None
    except (RacesError, InternalError):
        raise
    except Exception as exc:
        raise InternalError(f"exploring {scenario_name(scenario)}", exc) from exc


class _Exploration:
    """One call of ``explore``: search, shrink, confirm; and how far it got, for Ctrl-C."""

    def __init__(
        self,
        scenario: Callable[[], object],
        how: str,
        points: str,
        watch: Sequence[str],
        shrink_time: float,
    ) -> None:
        self.scenario = scenario
        self.how = how  # "random, seed 0"
        self.points = points
        self.watch = watch
        self.shrink_time = shrink_time
        self.session: Any = None
        self.found: Outcome | None = None
        self.shrinker: Shrinker | None = None
        self.first = 0

    def run(self, session: Any, strategy: Strategy, budget: int) -> Result:
        self.session = session
        search = strategy.search(session.run, budget)
        summary = strategy.describe_pass(search)
        if self.points in ("await", "greenlet") and strategy.name == "dfs" and search.exhausted:
            # Tasks never preempt each other: the bound never applied, every order was run.
            what = "tasks" if self.points == "await" else "greenlets"
            summary = f"no failure in all {search.schedules} orders of the ready {what}"
        result = Result(
            scenario=scenario_name(self.scenario),
            strategy=strategy.name,
            granularity=self.points,
            schedules=search.schedules,
            summary=summary,
        )
        if search.failure is None:
            return result
        self.found = search.failure
        self.first = search.first_failure or search.schedules
        self.shrinker = Shrinker(session.run, search.failure, seconds=self.shrink_time)
        shrunk = self.shrinker.shrink()
        watch = make_watch(self.scenario, self.watch)
        confirmed = confirm(lambda chooser: session.run(chooser, watch=watch), self.points, shrunk)
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
        if confirmed.reproducible:
            result.failure = outcome.failure
        else:
            result.failure = not_reproducible(outcome.failure, confirmed.divergence)
            result.summary = (
                f"found by {self.how} after {_plural(self.first, 'schedule')}; not reproducible"
            )
        return result

    def _found(self, shrunk: Shrunk) -> str:
        text = f"found by {self.how} after {_plural(self.first, 'schedule')}; "
        if shrunk.stopped is None:
            return text + f"shrunk in {_plural(shrunk.replays, 'replay')}, {shrunk.seconds:.1f} s"
        limit = (
            f"its {self.shrink_time:g} s budget" if shrunk.stopped == "time" else "its run budget"
        )
        return text + (
            f"shrinking stopped at {limit} after {_plural(shrunk.replays, 'replay')}: "
            "a smaller interleaving may exist (raise shrink_time to look further)"
        )

    def interrupted(self) -> Interrupted:
        """What to tell the user who pressed Ctrl-C: how far it got, what it found."""
        runs = self.session.runs if self.session is not None else 0
        name = scenario_name(self.scenario)
        if self.found is None:
            return Interrupted(
                f"interrupted: no failure of {name} in the {_plural(runs, 'schedule')} run so far "
                f"({self.how})"
            )
        best = self.shrinker.result.best if self.shrinker is not None else self.found
        assert best.failure is not None
        schedule = Schedule(self.points, best.deviations())
        result = Result(
            scenario=name,
            strategy=self.how.split(",")[0],
            granularity=self.points,
            schedules=self.first,
            summary=f"found by {self.how} after {_plural(self.first, 'schedule')}; interrupted while shrinking",
            failure=best.failure,
            schedule=schedule,
            trace=build_trace(best),
            preemptions=best.preemptions,
            found_after=self.first,
        )
        return Interrupted(
            f"interrupted while shrinking a failure found after {_plural(self.first, 'schedule')} "
            f"({self.how}): {best.failure.kind}: {best.failure.message}\n"
            f"To replay (not yet confirmed): {result.replay_line}",
            result,
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def replay(
    scenario: Callable[[], object],
    schedule: str | Schedule,
    *,
    max_steps: int = 50_000,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    watch: Sequence[str] = (),
    watchdog: float = 10.0,
    tracing: Mechanism = "auto",
    database: object = "default",
) -> Result:
    """Run ``scenario`` once under exactly the interleaving ``schedule`` describes.

    ``schedule`` is the string a failure printed. The result has the same trace every time
    on the same Python; if the scenario no longer follows the schedule,
    ``ScheduleDivergedError`` says where it parted.
    """
    parsed = Schedule.parse(schedule)
    parsed.check_python()
    _check_watch(scenario, watch)
    granularity = parsed.granularity
    if granularity == "greenlet" and not greenlet_child.INSIDE:
        options = dict(max_steps=max_steps, watch=watch, watchdog=watchdog)
        return greenlet_child.run_in_child("replay", scenario, {"schedule": parsed, **options})  # type: ignore[no-any-return]
    if (granularity == "await") != is_coroutine_scenario(scenario):
        kind = "a coroutine function" if granularity == "await" else "a plain function"
        raise ScheduleError(
            f"this is a {granularity} schedule, which replays {kind}; "
            f"{scenario_name(scenario)} is not one"
        )
    chooser = ReplayChooser(parsed.switches, strict=True)
    with open_session(
        scenario, granularity, include, exclude, max_steps, watchdog, tracing
    ) as session:
        outcome = session.run(chooser, watch=make_watch(scenario, watch))
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
        granularity=granularity,
        schedules=1,
        summary=f"replayed {parsed}" + ("" if outcome.failed else ": no failure"),
        failure=outcome.failure,
        schedule=parsed,
        trace=build_trace(outcome, watch),
        preemptions=outcome.preemptions,
    )


def is_coroutine_scenario(scenario: Callable[[], object]) -> bool:
    return inspect.iscoroutinefunction(getattr(scenario, "__func__", scenario))


def open_session(
    scenario: Callable[[], Any],
    granularity: str,
    include: Sequence[str],
    exclude: Sequence[str],
    max_steps: int,
    watchdog: float,
    tracing: Mechanism,
) -> Session | AsyncSession | GreenletSession:
    """The session for this kind of scenario: threads, or a coroutine on a controlled loop."""
    if is_coroutine_scenario(scenario):
        return AsyncSession(scenario, max_steps=max_steps, watchdog=watchdog)
    if granularity == "greenlet":
        from races.scheduler.greenlet_session import GreenletSession

        return GreenletSession(scenario, max_steps=max_steps, watchdog=watchdog)
    return Session(
        scenario,
        granularity=granularity,  # type: ignore[arg-type]
        include=include,
        exclude=exclude,
        max_steps=max_steps,
        watchdog=watchdog,
        tracing=tracing,
    )


def scenario_name(scenario: Callable[[], object]) -> str:
    """How to name the scenario in a replay line: importable if it can be."""
    module = getattr(scenario, "__module__", None)
    qualname = getattr(scenario, "__qualname__", None)
    if module and qualname and "<" not in qualname:
        return f"{module}.{qualname}"
    return f"<scenario {qualname or scenario!r}>"


def _database_key(scenario: Callable[[], object], granularity: str) -> bytes:
    text = f"races:{scenario_name(scenario)}:{granularity}"
    return hashlib.sha256(text.encode()).digest()


def _check_watch(scenario: Callable[[], object], watch: Sequence[str]) -> None:
    if isinstance(watch, str):
        raise TypeError(f"watch takes a list of names, such as watch=[{watch!r}]")
    namespace = getattr(getattr(scenario, "__func__", scenario), "__globals__", None)
    for name in watch:
        head = name.split(".")[0]
        if namespace is None or head not in namespace:
            raise ValueError(
                f"watch: {head!r} is not a global of the scenario's module "
                f"({scenario_name(scenario)}); watch names module-level variables, such as "
                "watch=['counter'] or watch=['account.balance']"
            )
