"""``races play``: the learner is the scheduler.

A game is a list of choices, one per *decision*: a switch point where more than one
thread can run. Each move picks the thread that takes the next step; it runs up to its
next switch point (the next line or instruction, at the case's granularity), and on
through any stretch where it is the only thread that can run. The learner wins when the
program ends in an outcome the case forbids: its assertion fails, or it deadlocks.

The state after a list of choices is found by running the scenario from the start,
following the choices, and ending the run at the next decision: the chooser says ``CUT``
there, as partial-order reduction does for runs it does not need. What is left is where
every thread stands, the shared values, and who can run. A move costs one run, tens of
milliseconds; stepping back returns to the state before it. Re-running rather than
holding a live run open means no run ever waits for a human, and every state is a
replay: the schedule the game prints at the end is the one ``races replay`` follows.

``Engine`` runs the scenario; ``Game`` is the state machine (legal moves, a move, back,
won or not) over it; ``play_view`` draws it and reads the learner's keys.
"""

from __future__ import annotations

import gc
import linecache
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import CodeType
from typing import Any, Protocol, cast

from races.catalogue.case import Case
from races.catalogue.runner import prepare
from races.core.explain import causes, explain_fix
from races.core.exploration import with_cause
from races.core.instructions import INSTRUCTIONS
from races.core.runtime import Watch, make_watch, scenario_name
from races.core.strategies.base import CUT, default_choice
from races.core.trace import build_trace
from races.runtimes.launch import explore, record
from races.runtimes.threads.execution import Abort
from races.runtimes.threads.session import Session
from races.runtimes.threads.tracing import Granularity
from races.vocabulary.access import Access
from races.vocabulary.errors import InvalidArgument, ScheduleDivergedError
from races.vocabulary.kinds import FORBIDDEN, StepKind
from races.vocabulary.outcome import Outcome, Position
from races.vocabulary.schedule import Schedule

#: What a thread is doing, as the board shows it.
CAN_RUN, BLOCKED, SLEEPING, FINISHED, STOPPED = (
    "can run",
    "blocked",
    "sleeping",
    "finished",
    "stopped",
)


class IllegalMove(ValueError):
    """A move the game refuses; the message says why and what can be done instead."""


@dataclass(frozen=True)
class ThreadState:
    """One thread on the board: where it stands and what it does next."""

    index: int
    name: str
    status: str  # CAN_RUN, BLOCKED, SLEEPING, FINISHED or STOPPED
    filename: str | None = None
    lineno: int | None = None
    #: The line it is about to run (or blocks in), as written.
    source: str = ""
    #: What it does there, when the line does not say it all: the instruction about to
    #: run ("LOAD_GLOBAL count"), "blocks in Lock.acquire", "returns from Thread.start",
    #: "ends", "finished", "starts".
    doing: str = ""
    #: The first and last line of the function it is in, when known: the code to show.
    function: tuple[int, int] | None = None

    @property
    def where(self) -> str:
        if self.filename is None or self.lineno is None:
            return ""
        return f"{self.filename.rsplit('/', 1)[-1]}:{self.lineno}"


@dataclass(frozen=True)
class State:
    """The board after a list of moves."""

    moves: tuple[int, ...]
    threads: tuple[ThreadState, ...]
    #: The shared values after the last step, as (name, short repr).
    values: tuple[tuple[str, str], ...]
    #: The threads a move may pick, in index order; empty once the run is over.
    runnable: tuple[int, ...]
    #: The thread that took the last step, if it can go on (the default choice).
    running: int | None
    #: Switch points passed (what schedules count).
    step: int
    #: The moves so far as a schedule: the departures from the default order.
    schedule: Schedule
    over: bool = False
    #: How the run ended, in the case's words: "ok" or a failure kind ("assertion").
    outcome: str = ""
    #: The failure as races names it: "lost update in pkg.broken.scenario: AssertionError: ...".
    failure: str = ""
    #: The first paragraph of its report: the cause, when the accesses show one.
    cause: str = ""
    #: Whether the case forbids the outcome: the game is won.
    forbidden: bool = False

    @property
    def won(self) -> bool:
        return self.over and self.forbidden

    def thread(self, index: int) -> ThreadState | None:
        return next((t for t in self.threads if t.index == index), None)


class Positions(Protocol):
    """What a game runs on: the state after a list of moves."""

    def position(self, moves: tuple[int, ...]) -> State:
        """Run up to the decision after ``moves`` (or to the end) and describe it."""
        ...

    def finish(self, moves: tuple[int, ...]) -> State:
        """Run ``moves``, then the default order to the end."""
        ...


@dataclass(frozen=True)
class Proof:
    """Why no choice breaks a fix: what partial-order reduction ran, and what the fix orders."""

    summary: str  # "proved: no failure in any interleaving (2 schedules, ...)"
    proved: bool
    #: The happens-before edges the fix adds, in words (``explain_fix``).
    edges: tuple[str, ...] = ()


class Game:
    """The state machine of one game: legal moves, a move, a move taken back."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.history = [positions.position(())]

    @property
    def state(self) -> State:
        return self.history[-1]

    @property
    def won(self) -> bool:
        return self.state.won

    @property
    def over(self) -> bool:
        return self.state.over

    def legal_moves(self) -> tuple[int, ...]:
        return self.state.runnable

    def play(self, thread: int) -> State:
        """Let ``thread`` take the next step; refused with the reason if it cannot."""
        state = self.state
        if state.over:
            raise IllegalMove("the run is over: b takes the last move back, q ends the game")
        if thread not in state.runnable:
            raise IllegalMove(refusal(state, thread))
        self.history.append(self.positions.position((*state.moves, thread)))
        return self.state

    def back(self) -> State:
        """Take the last move back."""
        if len(self.history) == 1:
            raise IllegalMove("this is the start: there is no move to take back")
        self.history.pop()
        return self.state

    def finish(self) -> State:
        """End the game here: the rest of the run takes the default order."""
        if not self.state.over:
            self.history.append(self.positions.finish(self.state.moves))
        return self.state


def refusal(state: State, thread: int) -> str:
    """Why ``thread`` cannot take the next step, and who can."""
    can = ", ".join(map(str, state.runnable))
    pick = f"pick one of {can}" if len(state.runnable) > 1 else f"only {can} can run"
    shown = state.thread(thread)
    if shown is None:
        threads = " and ".join(str(t.index) for t in state.threads)
        return f"there is no thread {thread} yet: the threads are {threads}; {pick}"
    if shown.status == FINISHED:
        return f"{shown.name} has finished; {pick}"
    if shown.status == SLEEPING:
        return f"{shown.name} is sleeping until the others wait too; {pick}"
    return (
        f"{shown.name} {shown.doing}: it cannot run until another thread frees what it "
        f"waits for; {pick}"
    )


def playable(case: Case) -> str | None:
    """Why ``case`` cannot be played, with what to do instead, or None."""
    if case.needs is not None:
        why = case.needs.split(":")[0]
        return (
            f"{case.name} needs {why}, which the scheduler cannot step: there is no game to "
            f"play. `races run {case.name}` shows it on real threads and processes"
        )
    if case.runtime != "threads":
        what = {"asyncio": "coroutine (asyncio tasks)", "gevent": "greenlet"}[case.runtime]
        return (
            f"{case.name} is a {what} lesson, and races play steps threads: "
            f"`races run {case.name}` shows its interleaving, and `races replay` reruns it"
        )
    missing = case.missing()
    if missing is not None:
        return f"{case.name} {missing}"
    return None


class _Moves:
    """Takes one decision per move, then ends the run at the next decision (or, to
    finish a game, goes on in the default order)."""

    def __init__(self, moves: Sequence[int], stop: bool) -> None:
        self.moves = moves
        self.stop = stop
        self.taken = 0
        #: At the decision the run ended at: the threads that could run, and the default.
        self.enabled: tuple[int, ...] = ()
        self.current: int | None = None

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        if self.taken < len(self.moves):
            chosen = self.moves[self.taken]
            self.taken += 1
            if chosen not in enabled:
                raise ScheduleDivergedError(
                    f"move {self.taken} picked thread {chosen}, but only threads "
                    f"{list(enabled)} could run there this time: the scenario does not run "
                    "the same way twice, so it cannot be played"
                )
            return chosen
        if not self.stop:
            return default_choice(enabled, current)
        self.enabled, self.current = tuple(enabled), current
        return CUT


class Engine:
    """Runs one variant of a case under the moves of a game."""

    def __init__(self, case: Case, variant: str) -> None:
        why = playable(case)
        if why is not None:
            raise InvalidArgument(why)
        self.case = case
        self.variant = variant
        self.module = case.module(variant)
        prepare(self.module)
        self.scenario = self.module.scenario
        self.granularity = cast("Granularity", case.granularity)
        self.name = scenario_name(self.scenario)
        # When the case names no values to show, those a run in the default order writes.
        self.watch = case.watch or shared_globals(self._run((), False, None)[0], self.module)
        self._read = make_watch(self.scenario, self.watch)
        self._proof: Proof | None = None

    @property
    def broken(self) -> bool:
        return self.variant in self.case.broken

    def replay_command(self, state: State) -> str:
        """The command that replays the run ``state`` ends (the rest in the default order)."""
        line = f"races replay {self.case.name} {str(state.schedule)!r}"
        if self.variant != self.case.broken[0]:
            line += f" --variant {self.variant}"
        return line

    def position(self, moves: tuple[int, ...]) -> State:
        outcome, chooser = self._run(moves, stop=True, read=self._read)
        return self._state(moves, outcome, chooser)

    def finish(self, moves: tuple[int, ...]) -> State:
        outcome, chooser = self._run(moves, stop=False, read=self._read)
        return self._state(moves, outcome, chooser)

    def _session(self) -> Session:
        return Session(
            self.scenario,
            granularity=self.granularity,
            exclude=self.case.exclude,
            max_steps=self.case.max_steps,
        )

    def _run(self, moves: Sequence[int], stop: bool, read: Watch | None) -> tuple[Outcome, _Moves]:
        chooser = _Moves(moves, stop)
        # A session per run: nothing stays patched or traced while the learner thinks.
        with self._session() as session:
            outcome = session.run(chooser, read)
        if outcome.cut:
            _collect_unwound()
        return outcome, chooser

    def _state(self, moves: tuple[int, ...], outcome: Outcome, chooser: _Moves) -> State:
        over = not outcome.cut
        runnable = () if over else chooser.enabled
        values = outcome.snapshots[-1] if outcome.snapshots else ()
        state = State(
            moves=moves,
            threads=_threads(outcome, runnable, over),
            values=tuple(zip(self.watch, values, strict=False)),
            runnable=runnable,
            running=None if over else chooser.current,
            step=outcome.steps,
            schedule=Schedule(self.granularity, outcome.deviations()),
            over=over,
        )
        if not over:
            return state
        failure = outcome.failure
        if failure is None:
            kind, named, cause = "ok", "", ""
        else:
            _, told = causes(outcome, build_trace(outcome))
            if told:
                failure = with_cause(failure, told)
            kind = failure.kind.value
            named = f"{failure.pattern or failure.kind} in {self.name}: {failure.message}"
            cause = failure.report.split("\n\n")[0] if failure.report else ""
        declared = self.case.outcomes.get(kind)
        return replace(
            state,
            outcome=kind,
            failure=named,
            cause=cause,
            forbidden=declared is not None and declared[0] == FORBIDDEN,
        )

    def meaning(self, outcome: str) -> str:
        """What the case says ``outcome`` means: "forbidden: lost update: ..."."""
        declared = self.case.outcomes.get(outcome)
        if declared is None:
            return "not declared by the case"
        return f"{declared[0]}: {declared[1]}"

    def proof(self) -> Proof:
        """Why no choice breaks this variant: partial-order reduction over every order of
        its conflicting steps, and the edges the fix adds (run once, then kept)."""
        if self._proof is None:
            search = self.case.prove
            result = explore(
                self.scenario,
                strategy="dpor",
                budget=search.budget or 3000,
                granularity=self.granularity,
                max_steps=self.case.max_steps,
                exclude=self.case.exclude,
            )
            if result.failed:
                summary = f"dpor found a failure: {result.render().splitlines()[0]}"
            else:
                summary = result.summary
            proved = not result.failed and summary.startswith("proved")
            self._proof = Proof(summary, proved, tuple(self._edges()))
        return self._proof

    def _edges(self) -> list[str]:
        """What this fix orders that the broken variant leaves unordered."""
        runs = []
        for variant in (self.case.broken[0], self.variant):
            module = self.case.module(variant)
            prepare(module)
            runs.append(record(module.scenario, exclude=self.case.exclude))
        return explain_fix(runs[0], runs[1])


def shared_globals(outcome: Outcome, module: Any) -> tuple[str, ...]:
    """The module-level data a run wrote (numbers, strings, lists, dicts...), in the order
    it first wrote them: the values a board shows when the case names none."""
    namespace = vars(module)
    found: dict[str, None] = {}
    for _thread, _step, event, _where in outcome.events:
        if not isinstance(event, Access) or event.location.owner != id(namespace):
            continue
        name = event.location.name
        value = namespace.get(name)
        data = type(value).__module__ in ("builtins", "collections") and not callable(value)
        if event.kind.writes and name in namespace and data:
            found[name] = None
    return tuple(found)


def _collect_unwound() -> None:
    """Collect what a run ended half-way left behind, hiding what its unwinding logs: an
    asyncio task it stopped would report races' own ``Abort`` as an exception "never
    retrieved" whenever it was collected."""
    log = logging.getLogger("asyncio")
    log.addFilter(_not_an_abort)
    try:
        gc.collect()
    finally:
        log.removeFilter(_not_an_abort)


def _not_an_abort(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, Abort)


def _threads(outcome: Outcome, runnable: tuple[int, ...], over: bool) -> tuple[ThreadState, ...]:
    """Each thread at its last record: the switch point it waits at, or where it ended."""
    last: dict[int, tuple[Any, ...]] = {}
    code: dict[int, CodeType] = {}
    for entry in outcome.trace:
        last[entry[0]] = entry
        if entry[1] in (StepKind.LINE, StepKind.INSTRUCTION):
            code[entry[0]] = entry[2]
    shown = []
    for index, name in enumerate(outcome.thread_names):
        shown.append(
            _thread(index, name, last.get(index), code.get(index), index in runnable, over)
        )
    return tuple(shown)


def _thread(
    index: int,
    name: str,
    entry: tuple[Any, ...] | None,
    code: CodeType | None,
    can_run: bool,
    over: bool,
) -> ThreadState:
    if entry is None:  # started, and not chosen yet
        return ThreadState(index, name, CAN_RUN if can_run else STOPPED, doing="starts")
    _, kind, a, b = entry
    filename: str | None = None
    lineno: int | None = None
    doing = ""
    runs = can_run and not over
    if kind == StepKind.LINE:
        filename, lineno = a.co_filename, b
        status = CAN_RUN if runs else STOPPED
    elif kind == StepKind.INSTRUCTION:
        lineno, doing = INSTRUCTIONS.describe(a, b)
        filename = a.co_filename
        status = CAN_RUN if runs else STOPPED
    elif kind == StepKind.FINISH:
        status = CAN_RUN if runs else FINISHED
        doing = "ends" if runs else ""
    else:  # BLOCK or SLEEP: ``a`` says what it waits in, ``b`` where, if in code under test
        if b is not None:
            filename, lineno = b
        waits = f"sleep({a:g})" if kind == StepKind.SLEEP else str(a)
        status = CAN_RUN if runs else SLEEPING if kind == StepKind.SLEEP else BLOCKED
        doing = f"returns from {waits}" if runs else f"blocks in {waits}"
    source = linecache.getline(filename, lineno).strip() if filename and lineno else ""
    return ThreadState(
        index, name, status, filename, lineno, source, doing, _function(code, filename, lineno)
    )


def _function(
    code: CodeType | None, filename: str | None, lineno: int | None
) -> tuple[int, int] | None:
    """The lines of the function ``code`` that holds ``filename:lineno``."""
    if code is None or filename != code.co_filename or lineno is None:
        return None
    lines = [line for _, _, line in code.co_lines() if line is not None]
    first, end = code.co_firstlineno, max(lines, default=code.co_firstlineno)
    return (first, end) if first <= lineno <= end else None
