"""A session: the patches and trace hook installed once, and as many runs as the search needs.

Installing the patches and scanning the user's modules costs milliseconds; a run should
cost about one. So ``explore`` opens one session, runs every schedule, shrinks and replays
the failure inside it, and the session takes everything out again on the way out,
whatever the way out is (a result, an error, Ctrl-C).
"""

from __future__ import annotations

import gc
import random
import sys
from collections.abc import Callable, Sequence

from races.core.access import OWNERS
from races.core.codefilter import CodeFilter
from races.core.focus import NOTHING_QUIET, Focus, Quiet
from races.core.runtime import EXPLORING, check_session
from races.core.strategies.base import Chooser
from races.core.strategies.replay import ReplayChooser
from races.runtimes.threads import affinity, execution, patches
from races.runtimes.threads.models import thread as thread_model
from races.runtimes.threads.tracing import Granularity, Mechanism, make_tracer
from races.vocabulary.access import Sync
from races.vocabulary.errors import UncontrolledBlockingError
from races.vocabulary.outcome import Outcome

#: The seed ``random`` is reset to before each run, so scenarios that use it replay too.
RANDOM_SEED = 0


class Session:
    """Runs a scenario under the scheduler, once per chooser, with everything installed."""

    def __init__(
        self,
        scenario: Callable[[], object],
        *,
        granularity: Granularity = "instruction",
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        max_steps: int = 50_000,
        watchdog: float = 10.0,
        tracing: Mechanism = "auto",
        accesses: bool = True,
        switching: bool = True,
    ) -> None:
        check_session(scenario, max_steps)
        self.scenario = scenario
        self.granularity = granularity
        self.points: str = granularity
        self.max_steps = max_steps
        self.watchdog = watchdog
        self.under_test = CodeFilter.shared(include, exclude)
        self.tracer = make_tracer(self.under_test, granularity, tracing, accesses, switching)
        self.runs = 0
        self.recording = True
        #: Set by a sampling search: runs then skip what earlier runs saw not matter.
        self.focus: Focus | None = None
        self._hidden: Quiet | None = None  # see ``translate``
        self._patches = patches.Patches()
        self._os_joins: list[tuple[int | None, Callable[[float], bool]]] = []

    def __enter__(self) -> Session:
        EXPLORING.enter()
        try:
            self._random_state = random.getstate()
            self._outside_threads = thread_model.real_count()
            self._known_threads = frozenset(sys._current_frames())
            self._pin = affinity.choose()
            self._gc_was_enabled = gc.isenabled()
            # A collection at a random moment would run finalizers at different points.
            gc.disable()
            swap = patches.install(self._patches, self.under_test, self.scenario)
            self._reset_stand_ins = swap.reset
            # An excluded package's code may call the code under test back while it holds
            # a real lock: each such call is looked at (``Execution.called_back``).
            self.tracer.callbacks = swap.excluded
            self.tracer.install()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        stragglers = self._close()
        if isinstance(exc, UncontrolledBlockingError):
            exc.stragglers = stragglers

    def _close(self) -> list[Callable[[float], bool]]:
        """Take everything out; returns the joins of threads that could not be stopped."""
        stragglers = [join for _, join in self._os_joins if not join(2.0)]
        self._os_joins.clear()
        try:
            try:
                self.tracer.uninstall()
            except Exception:  # noqa: BLE001 - install may have failed half-way
                pass
            self._patches.restore()
        finally:
            random.setstate(self._random_state)
            if self._gc_was_enabled:
                gc.enable()
            EXPLORING.leave()
        return stragglers

    def run(self, chooser: Chooser, watch: Callable[[], tuple[str, ...]] | None = None) -> Outcome:
        """One run of the scenario, every decision taken by ``chooser``."""
        self._release_previous_run()
        random.seed(RANDOM_SEED)
        stand_ins = self._reset_stand_ins()
        patches.futures_thread._shutdown = False  # type: ignore[attr-defined]
        ex = execution.Execution(
            self.scenario,
            chooser,
            tracer=self.tracer,
            under_test=self.under_test,
            max_steps=self.max_steps,
            watchdog=self.watchdog,
            watch=watch,
            on_scenario_end=patches.interpreter_exit,
            # Threads of earlier runs still exiting are not the scenario's either.
            outside_threads=self._outside_threads + len(self._os_joins),
            known_threads=self._known_threads | {i for i, _ in self._os_joins if i is not None},
            pin=self._pin,
        )
        # Real locks made before the exploration, swapped for modelled ones: born with the run.
        ex.events.extend((0, -1, Sync("made", id(lock)), None) for lock in stand_ins)
        quiet = self.focus.snapshot if self.focus is not None else NOTHING_QUIET
        self.tracer.focus(quiet)
        ex.hidden = self._hidden
        self.tracer.execution = ex
        self.tracer.recording = self.recording
        observe = getattr(chooser, "observe", None)
        if observe is not None:  # a chooser that follows what the steps touch (dpor)
            observe(ex.events, ex.trace)
        OWNERS.new_run()
        try:
            outcome = ex.run()
        finally:
            self.tracer.execution = None
            self._os_joins.extend(ex.os_joins)
            OWNERS.new_run()  # the run's objects are the program's again
        self.runs += 1
        if ex.stalled is not None:
            raise UncontrolledBlockingError(ex.stalled)
        if watch is not None:
            outcome.snapshots.append(watch())
        if self.focus is not None:
            outcome.quiet = quiet or None
            self.focus.learn(outcome)
        return outcome

    def translate(self, outcome: Outcome) -> Outcome:
        """``outcome``'s run once more without focus, each decision made at the same step
        of its focus: the same run, its schedule counted in every step, as ``replay``
        counts them. ``outcome`` itself if it skipped nothing."""
        if not outcome.quiet:
            return outcome
        self._hidden = outcome.quiet
        try:
            return self.run(ReplayChooser(outcome.deviations(), strict=False))
        finally:
            self._hidden = None

    def _release_previous_run(self) -> None:
        """Give back what the last run held before starting the next one.

        Its OS threads have left the scenario but may still be exiting: joining them frees
        their stacks (3.13 keeps a joinable thread's stack until it is joined, so 8,000
        unjoined runs exhaust the address space). Garbage collection is off while a run
        executes, so that finalizers never run at a random step; between runs it is safe,
        and without it every run's reference cycles would stay until the session ends.
        """
        if self._os_joins:
            # Threads blocked outside races' control stay pending, for the error to report.
            self._os_joins = [(i, join) for i, join in self._os_joins if not join(0.5)]
        # A run's garbage is all young; what survives a few runs is collected in its turn.
        gc.collect(1 if self.runs % _COLLECT_OLDER_EVERY == 0 else 0)


#: Runs between collections of the middle generation; the young one goes after every run.
_COLLECT_OLDER_EVERY = 64
