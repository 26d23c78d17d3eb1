"""``explore`` and ``replay``: the public entry points to the scheduler."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from races.errors import ScheduleDivergedError, ScheduleError
from races.result import Result
from races.schedule import Schedule
from races.scheduler import greenlet_child
from races.scheduler.async_session import AsyncSession
from races.scheduler.minimize import Switches, fewest_preemptions, minimize
from races.scheduler.outcome import Outcome
from races.scheduler.session import Session, make_watch
from races.scheduler.trace import build_trace
from races.scheduler.tracing import Granularity, Mechanism
from races.strategies import make_strategy
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

    A failure is shrunk to the fewest preemptions, then the fewest steps, before it is
    reported. The result's ``raise_if_failed()`` raises it with the interleaving and the
    line that replays it.
    """
    if strategy not in DEFAULT_BUDGET:
        make_strategy(strategy, seed=seed)  # raises the error that lists the strategies
    if budget is None:
        budget = DEFAULT_BUDGET[strategy]
    if budget < 1:
        raise ValueError(f"budget must be at least 1 schedule, not {budget}")
    _check_watch(scenario, watch)
    if granularity == "greenlet" and not greenlet_child.INSIDE:
        options = dict(strategy=strategy, budget=budget, seed=seed, granularity=granularity)
        options.update(max_steps=max_steps, depth=depth, watch=watch, watchdog=watchdog)
        options.update(preemption_bound=preemption_bound, database=database)
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
    with open_session(scenario, points, include, exclude, max_steps, watchdog, tracing) as session:
        search = search_strategy.search(session.run, budget)
        summary = search_strategy.describe_pass(search)
        if points in ("await", "greenlet") and strategy == "dfs" and search.exhausted:
            # Tasks never preempt each other: the bound never applied, every order was run.
            what = "tasks" if points == "await" else "greenlets"
            summary = f"no failure in all {search.schedules} orders of the ready {what}"
        result = Result(
            scenario=scenario_name(scenario),
            strategy=strategy,
            granularity=points,
            schedules=search.schedules,
            summary=summary,
        )
        if search.failure is None:
            return result

        def lenient(switches: Switches) -> Outcome:
            return session.run(ReplayChooser(switches, strict=False))

        fewest = fewest_preemptions(session.run, search.failure)
        smallest = minimize(lenient, fewest)
        schedule = Schedule(points, smallest.deviations())
        shown = session.run(
            ReplayChooser(schedule.switches, strict=True), watch=make_watch(scenario, watch)
        )
    seed_text = f", seed {seed}" if strategy in ("random", "pct", "hypothesis") else ""
    first = search.first_failure or search.schedules
    result.summary = (
        f"found by {strategy}{seed_text} after {first} schedule{'s' if first != 1 else ''}, "
        "then shrunk"
    )
    result.found_after = first
    result.failure = shown.failure
    result.schedule = schedule
    result.trace = build_trace(shown, watch)
    result.preemptions = shown.preemptions
    return result


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
        return AsyncSession(scenario, max_steps=max_steps)
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
