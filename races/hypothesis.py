"""Interleavings as a Hypothesis strategy, for your own property tests.

``interleavings()`` draws an ``Interleaving``: the choice the scheduler makes at each
decision where more than one thread could run. One ``@given`` test draws its inputs and an
interleaving together, and ``schedule.run(scenario)`` runs the scenario under it, raising
the race's report when it fails. Hypothesis then shrinks the inputs and the interleaving
together, and its example database replays the failing pair first.

The encoding is the one the ``"hypothesis"`` exploration strategy searches with
(``races.core.strategies.hypothesis``): one small integer per decision, 0 for the default
(keep the running thread), and the default for every decision past the end. Hypothesis
shrinks integers towards 0 and lists towards shorter: towards fewer departures from the
default order, made earlier.

Hypothesis prints an example's arguments before it runs them, when the schedule of the run
is not known yet. So an interleaving's repr is its choices, which replay it when pasted
into ``@example``; the report of a failing run ends with the schedule string that
``races.replay`` takes.

Hypothesis' explain phase traces every line each example runs, to tell which lines only
failing examples ran. Under races those lines are the scheduler's own: tracing them made
each example five times slower, and the explanation named races' internals. So that
tracer is paused while races runs the scenario, and sees the rest of the test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from races.core.result import Result
from races.core.strategies.hypothesis import ListChooser, choice_lists
from races.runtimes.launch import Granularity, RuntimeName, run_once
from races.vocabulary.errors import InvalidArgument

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["Interleaving", "interleavings"]


def interleavings() -> SearchStrategy[Interleaving]:
    """A Hypothesis strategy of interleavings, to run a scenario under with
    ``Interleaving.run``::

        @given(amount=st.integers(1, 5), schedule=interleavings())
        def test_deposits_add_up(amount, schedule):
            schedule.run(lambda: deposit_twice(amount))
    """
    return choice_lists().map(Interleaving)


@dataclass(frozen=True)
class Interleaving:
    """The scheduler's choice at each decision of a run: what ``interleavings()`` draws.

    Choice ``i`` picks among the threads that can run at decision ``i``, the running one
    first (0 keeps it) and then the others in order, wrapping around; decisions past the
    end keep the default. Trailing zeros change nothing and are dropped.
    """

    choices: Sequence[int] = ()

    def __post_init__(self) -> None:
        choices = tuple(self.choices)
        if not all(isinstance(c, int) and c >= 0 for c in choices):
            raise InvalidArgument(
                f"an interleaving's choices are whole numbers from 0, not {list(choices)!r}"
            )
        while choices and choices[-1] == 0:
            choices = choices[:-1]
        object.__setattr__(self, "choices", choices)

    def run(
        self,
        scenario: Callable[[], object],
        *,
        granularity: Granularity = "instruction",
        runtime: RuntimeName = "auto",
        watch: Sequence[str] = (),
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        max_steps: int = 50_000,
    ) -> Result:
        """Run ``scenario`` once under this interleaving, as ``races.explore`` runs one
        schedule (the options are ``explore``'s; threads and asyncio scenarios).

        A failure raises ``races.RaceFailure``, an ``AssertionError`` whose message is the
        report: the cause, the interleaving, and the schedule that ``races.replay``
        replays. A passing run returns its ``Result``.
        """
        with _explain_phase_paused():
            result = run_once(
                scenario,
                ListChooser(self.choices),
                strategy="hypothesis",
                runtime=runtime,
                granularity=granularity,
                max_steps=max_steps,
                include=include,
                exclude=exclude,
                watch=watch,
            )
            result.raise_if_failed()
        return result


@contextmanager
def _explain_phase_paused() -> Iterator[None]:
    """Hypothesis' explain-phase tracer (its ``scrutineer``), paused if it is on: a
    ``sys.monitoring`` tool from 3.12, the thread's trace function before."""
    try:
        from hypothesis.internal.scrutineer import MONITORING_TOOL_ID, Tracer
    except ImportError:  # another Hypothesis: it traces on, only slower
        yield
        return
    if sys.version_info >= (3, 12):
        if sys.monitoring.get_tool(MONITORING_TOOL_ID) != "scrutineer":
            yield
            return
        events = sys.monitoring.get_events(MONITORING_TOOL_ID)
        sys.monitoring.set_events(MONITORING_TOOL_ID, 0)
        try:
            yield
        finally:
            sys.monitoring.set_events(MONITORING_TOOL_ID, events)
        return
    tracer = sys.gettrace()
    if not isinstance(getattr(tracer, "__self__", None), Tracer):
        yield
        return
    sys.settrace(None)
    try:
        yield
    finally:
        sys.settrace(tracer)
