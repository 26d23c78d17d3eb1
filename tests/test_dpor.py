"""Partial-order reduction: one run per trace, and the same outcomes as every interleaving.

Three checks, as the theory states them:

* counts: N threads each doing K critical sections on one counter under one lock have
  (NK)! / (K!)^N traces (the orders of the critical sections), and ``dpor`` runs exactly
  that many schedules;
* soundness: on small programs Hypothesis draws (2-3 threads, reads, writes and locked
  blocks on 1-3 variables), the final states ``dpor`` reaches are exactly those a brute
  force enumeration of every interleaving reaches;
* no repeats: no two of its runs are the same trace (each run's conflicting accesses,
  put in a canonical order, differ).
"""

from __future__ import annotations

import asyncio
import functools
import math
import operator
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import races
from races.core.strategies.dpor import DPORStrategy, Footprint
from races.runtimes.threads.session import Session
from races.vocabulary.access import Access, Sync
from races.vocabulary.errors import InvalidArgument
from races.vocabulary.kinds import FailureKind
from races.vocabulary.outcome import Outcome


class Counter:
    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def increment(self) -> None:
        with self.lock:
            self.value += 1


def counter_scenario(threads: int, sections: int, locked: bool = True) -> Callable[[], None]:
    def scenario() -> None:
        counter = Counter()

        def work() -> None:
            for _ in range(sections):
                if locked:
                    counter.increment()
                else:
                    counter.value += 1

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert counter.value == threads * sections

    scenario.__qualname__ = f"counter_{threads}x{sections}"
    return scenario


def all_runs(scenario: Callable[[], None], budget: int = 100_000) -> tuple[list[Outcome], bool]:
    """Every run ``dpor`` makes of ``scenario``, and whether its search ran out."""
    outcomes: list[Outcome] = []
    strategy = DPORStrategy()
    with Session(scenario) as session:

        def run(chooser: Any) -> Outcome:
            outcome = session.run(chooser)
            outcomes.append(outcome)
            return outcome

        report = strategy.search(run, budget)
    return outcomes, report.exhausted


@pytest.mark.parametrize(("threads", "sections"), [(2, 1), (2, 2), (3, 1), (3, 2), (4, 1), (3, 3)])
def test_one_run_per_order_of_the_critical_sections(threads: int, sections: int) -> None:
    traces = math.factorial(threads * sections) // math.factorial(sections) ** threads
    outcomes, exhausted = all_runs(counter_scenario(threads, sections))
    assert exhausted
    assert not any(outcome.cut for outcome in outcomes)
    assert len(outcomes) == traces
    orders = {_sections(outcome) for outcome in outcomes}
    assert len(orders) == traces  # every order, each once


def task_counter(tasks: int) -> Callable[[], Any]:
    async def scenario() -> None:
        lock = asyncio.Lock()
        box = {"n": 0}

        async def work() -> None:
            async with lock:
                value = box["n"]
                await asyncio.sleep(0)
                box["n"] = value + 1

        await asyncio.gather(*(work() for _ in range(tasks)))
        assert box["n"] == tasks

    return scenario


@pytest.mark.parametrize("tasks", [2, 3, 4])
def test_one_run_per_order_in_which_tasks_take_a_lock(tasks: int) -> None:
    """asyncio's lock serves waiters in the order they asked: N tasks, N! orders."""
    from races.runtimes.asyncio.session import AsyncSession

    strategy = DPORStrategy()
    with AsyncSession(task_counter(tasks)) as session:
        report = strategy.search(session.run, 100_000)
    assert report.exhausted and report.failure is None
    assert report.schedules == math.factorial(tasks)


def _sections(outcome: Outcome) -> tuple[int, ...]:
    """The threads in the order they entered the counter's critical section."""
    return tuple(
        thread
        for thread, _step, event, _where in outcome.events
        if isinstance(event, Sync) and event.kind == "acquire" and event.mutex
    )


def test_explore_says_proved_when_every_trace_ran() -> None:
    result = races.explore(counter_scenario(2, 2), strategy="dpor")
    assert not result.failed
    assert result.summary.startswith("proved: no failure in any interleaving (6 schedules")


def test_a_budget_short_of_every_trace_is_not_a_proof() -> None:
    result = races.explore(counter_scenario(3, 2), strategy="dpor", budget=10)
    assert not result.failed
    assert result.schedules == 10 and "not a proof" in result.summary


def test_dpor_finds_the_lost_update() -> None:
    result = races.explore(counter_scenario(2, 1, locked=False), strategy="dpor", detect=False)
    assert result.kind is FailureKind.ASSERTION
    assert result.found_after is not None and result.found_after <= 2


def test_a_footprint_conflicts_as_the_access_model_says() -> None:
    def footprint(*events: object) -> Footprint:
        found = Footprint()
        for event in events:
            found.add(event)
        return found

    from races.vocabulary.access import WHOLE, Kind, Location

    x, y, items = Location(1, "x"), Location(1, "y"), Location(2, WHOLE)
    read_x = footprint(Access(x, Kind.READ))
    assert not read_x.dependent(footprint(Access(x, Kind.READ)))  # two reads commute
    assert read_x.dependent(footprint(Access(x, Kind.WRITE)))
    assert not read_x.dependent(footprint(Access(y, Kind.WRITE)))
    # A whole container (an append) overlaps each of its items.
    assert footprint(Access(items, Kind.UPDATE)).dependent(
        footprint(Access(Location(2, 0), Kind.READ))
    )
    # Two steps on one lock are ordered; an opaque step is ordered with everything.
    assert footprint(Sync("acquire", 7)).dependent(footprint(Sync("release", 7)))
    assert not footprint(Sync("acquire", 7)).dependent(footprint(Sync("acquire", 8)))
    from races.vocabulary.access import OPAQUE_STEP

    assert footprint(OPAQUE_STEP).dependent(footprint())


# ---------------------------------------------------------------------------- soundness
# A program is a few operations per thread on shared variables; each operation touches
# one variable once, so interleaving operations is interleaving every shared access.

Op = tuple[str, int]  # ("read" | "write" | "increment" | "locked", variable)

operation = st.tuples(st.sampled_from(["read", "write", "increment", "locked"]), st.integers(0, 2))
programs = st.lists(st.lists(operation, min_size=1, max_size=3), min_size=2, max_size=3).filter(
    lambda program: sum(len(thread) for thread in program) <= 6
)


#: Enough drawn programs for the suite; RACES_DPOR_EXAMPLES=300 for a deeper look.
SOUNDNESS = settings(
    max_examples=int(os.environ.get("RACES_DPOR_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


def _program_scenario(program: list[list[Op]], finals: set[Hashable]) -> Callable[[], None]:
    def scenario() -> None:
        box = {0: 0, 1: 0, 2: 0}
        lock = threading.Lock()
        seen: list[list[int]] = [[] for _ in program]

        def work(me: int) -> None:
            mine = seen[me]
            for kind, variable in program[me]:
                if kind == "read":
                    mine.append(box[variable])
                elif kind == "write":
                    box[variable] = me + 1
                elif kind == "increment":
                    value = box[variable]
                    box[variable] = value + 1
                else:
                    lock.acquire()
                    value = box[variable]
                    box[variable] = value + 10
                    lock.release()

        workers = [threading.Thread(target=work, args=(me,)) for me in range(len(program))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        finals.add((tuple(box.values()), tuple(tuple(s) for s in seen)))

    return scenario


def _brute_force(program: list[list[Op]]) -> set[Hashable]:
    """Every final state, by trying every interleaving of the atomic operations: a read,
    a write, an increment's load and its store, a locked block's load (taking the lock)
    and its store (giving it back)."""
    atoms: list[list[tuple[str, int]]] = []
    for thread in program:
        mine: list[tuple[str, int]] = []
        for kind, variable in thread:
            if kind == "increment":
                mine += [("load", variable), ("store+1", variable)]
            elif kind == "locked":
                mine += [("lock+load", variable), ("store+10+unlock", variable)]
            else:
                mine.append((kind, variable))
        atoms.append(mine)
    finals: set[Hashable] = set()

    def walk(
        position: list[int],
        box: list[int],
        seen: list[list[int]],
        loaded: list[int],
        holder: int | None,
    ) -> None:
        if all(position[me] == len(mine) for me, mine in enumerate(atoms)):
            finals.add((tuple(box), tuple(tuple(s) for s in seen)))
            return
        for me, mine in enumerate(atoms):
            if position[me] == len(mine):
                continue
            kind, variable = mine[position[me]]
            if kind == "lock+load" and holder is not None:
                continue  # the lock is taken: this thread waits
            box2, seen2, loaded2, holder2 = list(box), [list(s) for s in seen], list(loaded), holder
            if kind == "read":
                seen2[me].append(box2[variable])
            elif kind == "write":
                box2[variable] = me + 1
            elif kind in ("load", "lock+load"):
                loaded2[me] = box2[variable]
                if kind == "lock+load":
                    holder2 = me
            elif kind == "store+1":
                box2[variable] = loaded2[me] + 1
            else:
                box2[variable] = loaded2[me] + 10
                holder2 = None
            walk([p + (t == me) for t, p in enumerate(position)], box2, seen2, loaded2, holder2)

    walk([0] * len(program), [0, 0, 0], [[] for _ in program], [0] * len(program), None)
    return finals


def _trace(outcome: Outcome) -> Hashable:
    """The run's trace, canonically: for each variable, the order of its writes and which
    write each read saw; for the lock, the order it was taken in."""
    writes: dict[Hashable, list[int]] = {}
    reads: list[tuple[int, Hashable, int]] = []
    takes: list[int] = []
    for thread, _step, event, _where in outcome.events:
        if thread == 0:
            continue  # the main thread only sets up and checks
        if isinstance(event, Access) and event.location.name.startswith("box["):
            key = event.location.key
            if event.kind.writes:
                writes.setdefault(key, []).append(thread)
            if event.kind.reads:
                reads.append((thread, key, len(writes.get(key, []))))
        elif isinstance(event, Sync) and event.kind == "acquire" and event.mutex:
            takes.append(thread)
    ordered = tuple(sorted((repr(key), tuple(order)) for key, order in writes.items()))
    return (ordered, tuple(sorted((t, repr(k), n) for t, k, n in reads)), tuple(takes))


@SOUNDNESS
@given(programs)
def test_dpor_reaches_exactly_the_states_of_every_interleaving(program: list[list[Op]]) -> None:
    finals: set[Hashable] = set()
    outcomes, exhausted = all_runs(_program_scenario(program, finals))
    assert exhausted
    assert finals == _brute_force(program)
    # A run cut short where it would only repeat a trace is not a run of one.
    traces = [_trace(outcome) for outcome in outcomes if not outcome.cut]
    assert len(set(traces)) == len(traces), "two runs of the same trace"


# ---------------------------------------------------------------------------- bugs


def order_of_appends() -> None:
    """Each thread appends its number twice under a lock; one order of the four is bad."""
    lock = threading.Lock()
    order: list[int] = []

    def work(me: int) -> None:
        for _ in range(2):
            with lock:
                order.append(me)

    workers = [threading.Thread(target=work, args=(me,)) for me in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert order != [2, 1, 2, 1], order


def test_dpor_finds_an_order_a_preemption_bound_hides() -> None:
    bounded = races.explore(order_of_appends, strategy="dfs", detect=False)
    assert not bounded.failed  # every schedule with at most 2 preemptions passes
    result = races.explore(order_of_appends, strategy="dpor", detect=False)
    assert result.kind is FailureKind.ASSERTION
    assert result.found_after is not None and result.found_after <= 6  # the 6 orders


def _broken_lessons() -> list[tuple[str, str]]:
    from races.catalogue.registry import load_catalogue

    return [
        (case.name, variant)
        for case in load_catalogue().ordered()
        if case.needs is None
        for variant in case.broken
    ]


@pytest.mark.parametrize(("name", "variant"), _broken_lessons())
def test_dpor_shows_every_broken_lesson(name: str, variant: str) -> None:
    """Where the scheduler can show a lesson's bug, partial-order reduction finds it:
    a threads' preempted instruction runs when its thread runs again, and the analysis
    follows the order things ran, not the order of the trace's rows."""
    from races.catalogue.registry import load_catalogue

    case = load_catalogue().get(name)
    if case.missing():
        pytest.fail(f"{name} needs {case.missing()}; install the project's test extras")
    module = case.module(variant)
    if hasattr(module, "setup"):
        module.setup()
    granularity: Any = {"asyncio": "instruction"}.get(case.runtime, case.granularity)
    result = races.explore(
        module.scenario,
        runtime=case.runtime,
        strategy="dpor",
        budget=3000,
        detect=False,
        exclude=case.exclude,
        granularity=granularity,
        shrink_time=0,
    )
    assert result.failed, result.summary
    assert str(result.kind) in case.outcomes and case.outcomes[str(result.kind)][0] == "forbidden"


def test_a_preemption_bound_makes_it_a_bounded_search() -> None:
    bounded = races.explore(counter_scenario(3, 2), strategy="dpor", preemption_bound=1)
    assert not bounded.failed
    assert bounded.schedules < 90
    assert "with at most 1 preemption (a bounded search, not a proof" in bounded.summary
    nothing_left_out = races.explore(counter_scenario(2, 1), strategy="dpor", preemption_bound=5)
    assert nothing_left_out.summary.startswith("proved")
    with pytest.raises(InvalidArgument, match="preemption_bound must be 0 or more"):
        races.explore(counter_scenario(2, 1), strategy="dpor", preemption_bound=-1)


task_programs = st.lists(
    st.lists(
        st.tuples(st.sampled_from(["read", "write", "increment"]), st.integers(0, 2)),
        min_size=1,
        max_size=3,
    ),
    min_size=2,
    max_size=3,
).filter(lambda program: sum(len(task) for task in program) <= 6)


def _task_scenario(program: list[list[Op]], finals: set[Hashable]) -> Callable[[], Any]:
    """The same programs as tasks: each operation is a step of its own (an await after
    it), and an increment awaits between its read and its write."""

    async def scenario() -> None:
        box = {0: 0, 1: 0, 2: 0}
        seen: list[list[int]] = [[] for _ in program]

        async def work(me: int) -> None:
            for kind, variable in program[me]:
                if kind == "read":
                    seen[me].append(box[variable])
                elif kind == "write":
                    box[variable] = me + 1
                else:
                    value = box[variable]
                    await asyncio.sleep(0)
                    box[variable] = value + 1
                await asyncio.sleep(0)

        await asyncio.gather(*(work(me) for me in range(len(program))))
        finals.add((tuple(box.values()), tuple(tuple(s) for s in seen)))

    return scenario


@SOUNDNESS
@given(task_programs)
def test_dpor_of_tasks_reaches_exactly_the_states_of_every_order(program: list[list[Op]]) -> None:
    from races.runtimes.asyncio.session import AsyncSession

    finals: set[Hashable] = set()
    strategy = DPORStrategy()
    with AsyncSession(_task_scenario(program, finals)) as session:
        report = strategy.search(session.run, 100_000)
    assert report.exhausted and report.failure is None
    # Tasks interleave at their awaits: the same atomic operations as threads' brute force
    # (the gather's start and end do not reorder anything).
    assert finals == _brute_force(program)


def test_dpor_tries_a_look_at_a_thread_before_and_after_its_end() -> None:
    """`is_alive()` (a non-blocking acquire of the thread's lock) races with the thread's
    end: both answers must be seen, as brute force sees them."""
    seen: set[bool] = set()

    def scenario() -> None:
        worker = threading.Thread(target=lambda: None)
        worker.start()
        seen.add(worker.is_alive())
        worker.join()

    result = races.explore(scenario, strategy="dpor", granularity="line")
    assert result.summary.startswith("proved")
    assert seen == {True, False}


def test_dpor_finds_a_failure_that_depends_on_is_alive() -> None:
    def scenario() -> None:
        worker = threading.Thread(target=lambda: None)
        worker.start()
        alive = worker.is_alive()
        worker.join()
        assert not alive, "the worker was still running"

    result = races.explore(scenario, strategy="dpor", granularity="line")
    assert result.failed and result.kind is races.FailureKind.ASSERTION


def test_dpor_sees_a_thread_meet_an_event_loop_it_cannot_trace() -> None:
    """asyncio's internals are standard-library code races does not trace, and no modelled
    primitive orders them: a worker thread's put_nowait into the loop's queue must count
    as touching anything, or dpor would prove a program that hangs in some order."""

    def put(prices: asyncio.Queue[int]) -> None:
        prices.put_nowait(42)  # from another thread: the loop is not woken

    async def quote() -> tuple[int, threading.Thread]:
        prices: asyncio.Queue[int] = asyncio.Queue()
        worker = threading.Thread(target=put, args=(prices,))
        worker.start()
        return await prices.get(), worker

    def scenario() -> None:
        price, worker = asyncio.run(quote())
        worker.join()
        assert price == 42

    result = races.explore(scenario, strategy="dpor", granularity="line")
    assert result.failed and result.kind is races.FailureKind.STUCK, result.render()


def test_a_call_into_untraced_standard_library_code_is_opaque() -> None:
    """Standard-library Python that no model orders (a Random's state, asyncio's queues)
    hides what it touches; the modules whose state modelled locks order do not."""
    import random

    from races.core.access import _opaque_callable

    shared = random.Random(0)
    assert _opaque_callable(shared.randint)
    assert _opaque_callable(asyncio.Queue().put_nowait)
    assert not _opaque_callable(threading.Thread(target=print).start)
    assert not _opaque_callable(_brute_force)  # the program's own code is traced


def test_a_cached_property_filled_by_two_threads_is_reordered() -> None:
    """functools' cached_property writes the instance's dict in code races does not trace:
    which thread's value is kept depends on the order, so dpor must run both."""

    def scenario() -> None:
        class Config:  # made here: on 3.11, cached_property makes a lock
            @functools.cached_property
            def owner(self) -> str:
                return threading.current_thread().name

        config = Config()
        threads = [threading.Thread(target=lambda: config.owner, name=f"t{i}") for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert config.owner == "t0"

    result = races.explore(scenario, strategy="dpor", granularity="line")
    assert result.failed, result.summary


def test_what_a_call_may_touch_unseen_follows_the_callee() -> None:
    """A method of a scalar given scalars reads only values; C objects' calls and the
    stateful parts of functools may touch anything; a wrapper of traced code does not."""
    from races.core.access import _opaque_callable
    from races.core.sites import hides_state

    assert _opaque_callable(functools.lru_cache(maxsize=None)(_brute_force))  # its cache
    assert _opaque_callable(operator.itemgetter(1))  # reads what it is given, unseen
    assert not _opaque_callable(functools.partial(_brute_force, []))  # traced code
    assert hides_state(functools.cached_property.__get__.__code__)
    assert not hides_state(functools.update_wrapper.__code__)
    scalar = races.explore(_upper_twice, strategy="dpor", granularity="line")
    assert scalar.summary.startswith("proved") and scalar.schedules == 1, scalar.summary


def _upper_twice() -> None:
    def worker(name: str) -> None:
        label = name.upper()  # values only: no order to try
        assert label.replace("-", "_")

    threads = [threading.Thread(target=worker, args=(f"t-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_step_bound_makes_it_a_bounded_search() -> None:
    """Races whose first step comes after the bound are not reversed: fewer runs, and the
    result says what the bound left out; a bound past the end changes nothing."""
    scenario = counter_scenario(3, 2)
    whole = races.explore(scenario, strategy="dpor")
    past_the_end = races.explore(scenario, strategy="dpor", step_bound=10**6)
    assert past_the_end.schedules == whole.schedules == 90
    assert past_the_end.summary.startswith("proved")
    bounded = races.explore(scenario, strategy="dpor", step_bound=100)
    assert not bounded.failed
    assert 1 < bounded.schedules < 90
    assert "with reorderings within the first 100 steps (a bounded search, not a proof" in (
        bounded.summary
    )
    assert "the step bound left out" in bounded.summary
    tighter = races.explore(scenario, strategy="dpor", step_bound=50)
    assert tighter.schedules <= bounded.schedules
    with pytest.raises(InvalidArgument, match="step_bound must be 1 or more"):
        races.explore(scenario, strategy="dpor", step_bound=0)


def test_dpor_reorders_a_threads_end_after_a_look_at_whether_it_is_alive() -> None:
    """The worker's sleep and the join's timeout end at the same virtual instant: either
    may go first. Run in the default order, is_alive() looks before the worker ends; the
    worker's end must then be reversed with that look, or the order in which it is over
    is never run."""

    def scenario() -> None:
        done: list[int] = []

        def work() -> None:
            time.sleep(0.1)
            done.append(1)

        worker = threading.Thread(target=work)
        worker.start()
        worker.join(timeout=0.1)
        assert worker.is_alive(), "the worker had finished"
        worker.join()

    result = races.explore(scenario, strategy="dpor", granularity="line")
    assert result.failed and result.kind is races.FailureKind.ASSERTION, result.summary
