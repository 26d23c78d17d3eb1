"""Launching an exploration: pick the runtime a scenario needs and run the core on it.

``explore`` and ``replay`` (``races.explore`` and ``races.replay``) check their arguments,
pick the runtime (threads, asyncio or gevent), open its session, and hand it to the
core's ``Exploration``; gevent scenarios go to a child process that gevent has patched,
with a request that says what to run and how. This is the one module that knows all
three runtimes.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from collections.abc import Callable, Sequence
from typing import Any, Literal

from races.core.exploration import RUNNING, Exploration, Progress, detect_in, replay_in, run_in
from races.core.minimize import DEFAULT_TIME as DEFAULT_SHRINK_TIME
from races.core.result import Result
from races.core.runtime import Runtime, check_watch, scenario_name
from races.core.strategies.base import Chooser, GoOnChooser, StrategyOptions
from races.core.strategies.registry import strategy_class
from races.vocabulary.errors import InternalError, InvalidArgument, RacesError, ScheduleError
from races.vocabulary.outcome import Outcome
from races.vocabulary.schedule import Schedule

Granularity = Literal["line", "instruction"]
RuntimeName = Literal["auto", "threads", "asyncio", "gevent"]
Mechanism = Literal["auto", "settrace", "monitoring"]
DetectThreads = Literal["real", "scheduled"]


def explore(
    scenario: Callable[[], object],
    *,
    strategy: str = "random",
    budget: int | None = None,
    seed: int | None = 0,
    runtime: RuntimeName = "auto",
    granularity: Granularity | Literal["greenlet"] = "instruction",
    max_steps: int = 50_000,
    preemption_bound: int | None = None,
    step_bound: int | None = None,
    depth: int = 3,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    watch: Sequence[str] = (),
    watchdog: float = 10.0,
    tracing: Mechanism = "auto",
    database: object = "default",
    shrink_time: float = DEFAULT_SHRINK_TIME,
    detect: bool = True,
    workers: int = 1,
    on_progress: Callable[[Progress], None] | None = None,
) -> Result:
    """Run ``scenario`` under the scheduler, once per schedule, until it fails or the budget ends.

    ``scenario`` is any zero-argument callable: ordinary threading code that signals
    failure by raising, by an exception in one of its threads, or by deadlocking.
    ``runtime`` says how it runs, and is found from the scenario by default: a coroutine
    function runs as the main task of a controlled event loop (``"asyncio"``), whose
    schedules choose which ready task runs at each ``await``; ``"gevent"`` runs gevent
    code in a child process after ``gevent.monkey.patch_all()``, and its schedules choose
    which greenlet the hub wakes whenever one waits (so it must be importable by name);
    anything else runs on OS threads (``"threads"``).
    ``strategy`` is ``"random"``, ``"pct"`` (priority change points, ``depth``), ``"dfs"``
    (every schedule with at most ``preemption_bound`` preemptions, 2 unless set), ``"dpor"``
    (one schedule per order of the conflicting steps: when it runs out, the property holds
    in every interleaving; with ``preemption_bound``, only the orders within that many
    preemptions, and with ``step_bound``, only reorderings within the first that many
    steps: bounded searches for programs too big to prove), ``"hypothesis"``, or one a
    plugin registered. ``budget`` caps the schedules run (the strategy's default:
    1000; 100,000 for dfs). ``granularity`` places the switch points of threads before
    each ``"instruction"`` or each ``"line"`` of the code under test (set it with
    ``include``/``exclude``: module names or path globs); ``"greenlet"`` is another way to
    say ``runtime="gevent"``. ``max_steps`` ends a run that never finishes. ``watch`` names
    module-level variables of the scenario to show after every step of the reported
    interleaving. ``watchdog`` is how many real seconds a thread may go without reaching a
    switch point before races reports it blocked outside its control. ``database`` is the
    Hypothesis example database the ``"hypothesis"`` strategy stores failures in
    (Hypothesis' default, or None for none).

    ``workers`` (``dpor`` only) splits the search between that many processes, forked
    from this one (threads and asyncio scenarios): the verdict is the same as with one.

    ``on_progress``, when given, is called after each run with a ``Progress``: the
    schedules run of the budget, the one that failed first, and the replays spent
    shrinking (threads and asyncio; a search split between processes, and a gevent one,
    say nothing until they are done).

    With ``detect`` (threads), every run's reads and writes are analysed too: when no
    schedule fails but one run's accesses show a race another interleaving would hit (a
    lost update, a check-then-act, a lock-order inversion), the result fails with it; a
    failure's report leads with the cause its accesses show.

    A failure is shrunk to the fewest preemptions, then the fewest steps, for at most
    ``shrink_time`` seconds, then replayed to confirm it. The result's ``raise_if_failed()``
    raises it with the interleaving and the line that replays it. Ctrl-C raises
    ``races.Interrupted``, which says how far the exploration got.
    """
    chosen = strategy_class(strategy)  # an unknown name gets the list of known ones
    if budget is None:
        budget = chosen.default_budget
    if budget < 1:
        raise InvalidArgument(f"budget must be at least 1 schedule, not {budget}")
    if shrink_time < 0:
        raise InvalidArgument(f"shrink_time must be 0 seconds or more, not {shrink_time}")
    check_watch(scenario, watch)
    runs_on = _runtime(scenario, runtime, granularity)
    _check_workers(workers, strategy, runs_on)
    options = StrategyOptions(
        seed=seed,
        depth=depth,
        preemption_bound=preemption_bound,
        step_bound=step_bound,
        database_key=_database_key(scenario, runs_on, granularity),
        database=database,
    )
    if runs_on == "gevent":
        from races.runtimes.gevent import child

        request = child.ChildRequest.explore(
            scenario,
            strategy=strategy,
            options=options,
            budget=budget,
            max_steps=max_steps,
            watch=tuple(watch),
            watchdog=watchdog,
            shrink_time=shrink_time,
        )
        return child.run(request)
    exploration = Exploration(
        scenario,
        chosen.create(options),
        seed=seed,
        watch=watch,
        shrink_time=shrink_time,
        detect=detect,
        workers=workers,
        on_progress=on_progress,
    )
    session = _session(
        scenario, runs_on, granularity, include, exclude, max_steps, watchdog, tracing
    )
    RUNNING.append(exploration)
    try:
        with session:
            return exploration.run(session, budget)
    except KeyboardInterrupt:
        raise exploration.interrupted() from None
    except (RacesError, InternalError):
        raise
    except Exception as exc:
        raise InternalError(f"exploring {scenario_name(scenario)}", exc) from exc
    finally:
        RUNNING.remove(exploration)


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

    ``schedule`` is the string a failure printed; it says which runtime it is for. The
    result has the same trace every time on the same Python; if the scenario no longer
    follows the schedule, ``ScheduleDivergedError`` says where it parted.
    """
    parsed = Schedule.parse(schedule)
    parsed.check_python()
    check_watch(scenario, watch)
    points = parsed.granularity
    if points == "greenlet":
        from races.runtimes.gevent import child

        request = child.ChildRequest.replay(
            scenario, schedule=parsed, max_steps=max_steps, watch=tuple(watch), watchdog=watchdog
        )
        return child.run(request)
    if (points == "await") != is_coroutine_scenario(scenario):
        kind = "a coroutine function" if points == "await" else "a plain function"
        raise ScheduleError(
            f"this is a {points} schedule, which replays {kind}; "
            f"{scenario_name(scenario)} is not one"
        )
    runtime = "asyncio" if points == "await" else "threads"
    granularity: Any = "instruction" if points == "await" else points
    session = _session(
        scenario, runtime, granularity, include, exclude, max_steps, watchdog, tracing
    )
    with session:
        return replay_in(session, scenario, parsed, watch)


def run_once(
    scenario: Callable[[], object],
    chooser: Chooser,
    *,
    strategy: str,
    runtime: RuntimeName = "auto",
    granularity: Granularity = "instruction",
    max_steps: int = 50_000,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    watch: Sequence[str] = (),
    watchdog: float = 10.0,
    tracing: Mechanism = "auto",
) -> Result:
    """Run ``scenario`` once, every choice made by ``chooser`` (``strategy`` names where
    the choices come from): how ``races.hypothesis`` runs a drawn interleaving. The
    result's schedule replays the run with ``replay``. Threads and asyncio scenarios only:
    a gevent one runs in a child process, which a chooser cannot reach."""
    check_watch(scenario, watch)
    runs_on = _runtime(scenario, runtime, granularity)
    if runs_on == "gevent":
        raise InvalidArgument(
            f"{scenario_name(scenario)} runs on gevent, in a child process a chooser of this "
            "one cannot reach: explore it with races.explore(..., runtime='gevent')"
        )
    session = _session(
        scenario, runs_on, granularity, include, exclude, max_steps, watchdog, tracing
    )
    try:
        with session:
            return run_in(session, scenario, chooser, watch, strategy)
    except (RacesError, InternalError):
        raise
    except Exception as exc:
        raise InternalError(f"running {scenario_name(scenario)}", exc) from exc


def detect(
    scenario: Callable[[], object],
    *,
    threads: DetectThreads = "real",
    runtime: RuntimeName = "auto",
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    max_steps: int = 10_000_000,
    watchdog: float = 10.0,
    tracing: Mechanism = "auto",
) -> Result:
    """Run ``scenario`` once and report the races its accesses predict, even if it passed.

    races records what each step of the code under test reads and writes and how threads
    synchronise. From that one run it predicts what other interleavings would do: a lost
    update or a check-then-act when another thread's write is ordered with neither a
    thread's read nor its write back, and a lock-order inversion when locks are taken in
    orders that form a cycle. The result is ``explore``'s: ``failed``, ``kind``,
    ``render()``, and ``findings``, every cause found, in order. A run that deadlocks is
    reported with its cycle. ``max_steps`` is high: one run of a whole test may take
    millions of steps, and only a loop that never ends should reach it.

    ``threads`` says how a threaded scenario runs. ``"real"`` (the default): its threads
    run free, on real locks and real time, as ThreadSanitizer runs C, so real I/O, sleeps
    and timeouts behave as they do without races; a deadlock is found by a watchdog in
    the waiting threads, and a thread blocked where races cannot see is reported when no
    thread has moved for ``watchdog`` seconds. ``"scheduled"``: under the scheduler, each
    thread as far as it goes before the next, on modelled locks and virtual time: the
    same run every time. A coroutine function runs on the controlled event loop either way.
    ``runtime="gevent"`` runs gevent code once in a monkey-patched child process, each
    greenlet as far as it goes, as ``explore`` does.
    """
    if threads not in ("real", "scheduled"):
        raise InvalidArgument(f"threads must be 'real' or 'scheduled', not {threads!r}")
    if _runtime(scenario, runtime, "instruction") == "gevent":
        from races.runtimes.gevent import child

        return child.run(
            child.ChildRequest.detect(scenario, max_steps=max_steps, watchdog=watchdog)
        )
    session = _detect_session(scenario, include, exclude, max_steps, watchdog, tracing, threads)
    try:
        with session:
            result = detect_in(session, scenario)
    except (RacesError, InternalError):
        raise
    except Exception as exc:
        raise InternalError(f"detecting races in {scenario_name(scenario)}", exc) from exc
    unrecorded: list[str] = getattr(session, "unrecorded", list)()  # real threads only
    if unrecorded:
        names = ", ".join(f"`{name}`" for name in unrecorded)
        result.summary += (
            f"; not recorded: {names}, a real lock made before detect and held whenever the "
            "code reached it, so a race its ordering rules out may be reported"
        )
    return result


def record(scenario: Callable[[], object], *, exclude: Sequence[str] = ()) -> Outcome:
    """The run ``detect(threads="scheduled")`` analyses: each thread or task as far as it
    goes, with its accesses; the same run every time."""
    with _detect_session(scenario, (), exclude, 10_000_000, 10.0, "auto", "scheduled") as session:
        return session.run(GoOnChooser())


def _detect_session(
    scenario: Callable[[], object],
    include: Sequence[str],
    exclude: Sequence[str],
    max_steps: int,
    watchdog: float,
    tracing: Mechanism,
    threads: DetectThreads,
) -> Runtime:
    if is_coroutine_scenario(scenario):
        from races.runtimes.asyncio.session import AsyncSession

        return AsyncSession(scenario, max_steps=max_steps, watchdog=watchdog)  # type: ignore[arg-type]
    if threads == "real":
        from races.runtimes.threads.observe import Observer

        return Observer(
            scenario,
            include=include,
            exclude=exclude,
            max_steps=max_steps,
            watchdog=watchdog,
            tracing=tracing,
        )
    from races.runtimes.threads.session import Session

    # No switch points: one run where each thread goes as far as it can needs none, and
    # every instruction that touches shared data is still a step of the report.
    return Session(
        scenario,
        include=include,
        exclude=exclude,
        max_steps=max_steps,
        watchdog=watchdog,
        tracing=tracing,
        switching=False,
    )


def is_coroutine_scenario(scenario: Callable[..., object]) -> bool:
    return inspect.iscoroutinefunction(getattr(scenario, "__func__", scenario))


def _runtime(scenario: Callable[..., object], runtime: str, granularity: str) -> str:
    """The runtime a scenario runs on: the one asked for, checked, or the one it needs."""
    if granularity not in ("line", "instruction", "greenlet"):
        raise InvalidArgument(
            f"granularity must be 'line' or 'instruction' (or 'greenlet' for gevent code), "
            f"not {granularity!r}"
        )
    coroutine = is_coroutine_scenario(scenario)
    if runtime == "auto":
        if coroutine:
            return "asyncio"
        return "gevent" if granularity == "greenlet" else "threads"
    if runtime not in ("threads", "asyncio", "gevent"):
        raise InvalidArgument(
            f"runtime must be 'threads', 'asyncio', 'gevent' or 'auto', not {runtime!r}"
        )
    if (runtime == "asyncio") != coroutine:
        what = "a coroutine function" if coroutine else "a plain function"
        raise InvalidArgument(
            f"runtime={runtime!r} does not fit {scenario_name(scenario)}, which is {what}: "
            "asyncio runs coroutine functions (async def), threads and gevent plain ones"
        )
    return runtime


def _session(
    scenario: Callable[..., Any],
    runtime: str,
    granularity: Granularity | Literal["greenlet"],
    include: Sequence[str],
    exclude: Sequence[str],
    max_steps: int,
    watchdog: float,
    tracing: Mechanism,
) -> Runtime:
    """The runtime's session for this scenario (threads or asyncio; gevent has a child)."""
    if runtime == "asyncio":
        from races.runtimes.asyncio.session import AsyncSession

        return AsyncSession(scenario, max_steps=max_steps, watchdog=watchdog)
    from races.runtimes.threads.session import Session

    return Session(
        scenario,
        granularity=granularity,  # type: ignore[arg-type]
        include=include,
        exclude=exclude,
        max_steps=max_steps,
        watchdog=watchdog,
        tracing=tracing,
    )


def _database_key(scenario: Callable[..., object], runtime: str, granularity: str) -> bytes:
    points = {"asyncio": "await", "gevent": "greenlet"}.get(runtime, granularity)
    text = f"races:{scenario_name(scenario)}:{points}"
    return hashlib.sha256(text.encode()).digest()


def _check_workers(workers: int, strategy: str, runs_on: str) -> None:
    if workers == 1:
        return
    if workers < 1:
        raise InvalidArgument(f"workers must be at least 1, not {workers}")
    if strategy != "dpor":
        raise InvalidArgument(
            f"workers={workers} splits the search tree of strategy='dpor'; "
            f"strategy={strategy!r} runs one process (leave workers out)"
        )
    if runs_on == "gevent":
        raise InvalidArgument(
            "workers= is for threads and asyncio scenarios: a gevent scenario runs in a "
            "child process of its own (leave workers out)"
        )
    if not hasattr(os, "fork"):
        raise InvalidArgument("workers= forks worker processes: this platform cannot fork")
