"""Property tests of the exploration engine's invariants, with Hypothesis.

1. Depth-first search is sound and complete within its bound: on small generated *model
   programs* (interpreted here, no real threads) it runs exactly the interleavings a
   brute-force enumerator finds with at most that many preemptions, each once.
2. A real run replays identically from its deviations.
3. Shrinking never makes a failure larger, never loses it, and only accepts smaller runs.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, assume, event, example, given, settings
from hypothesis import strategies as st

from races.core.minimize import shrink, size
from races.core.strategies.base import Chooser, DefaultChooser
from races.core.strategies.dfs import DFSStrategy
from races.core.strategies.hypothesis import ListChooser
from races.core.strategies.replay import PositionReplayChooser, ReplayChooser
from races.runtimes.threads.session import Session
from races.runtimes.threads.tracing import Granularity
from races.vocabulary.kinds import FailureKind
from races.vocabulary.outcome import Decision, Failure, Outcome, Position

# Deterministic on CI; no explain phase (it leaves a sys.monitoring tool behind on 3.12,
# which would hide the trace events of the real runs below).
PROPERTIES = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# ----------------------------------------------------------------- model programs
#
# A thread is a list of operations over shared locations and locks, with one register:
#   ("read", x, 0)      register = memory[x]
#   ("inc", x, 0)       memory[x] = register + 1
#   ("const", x, c)     memory[x] = c
#   ("acquire", l, 0)   take lock l; a thread whose next operation is this while l is
#                       held is not enabled (it waits)
#   ("release", l, 0)   give lock l back

Op = tuple[str, int, int]
Program = tuple[tuple[Op, ...], ...]
Step = tuple[int, int]  # (thread, index of the operation it executed)
Final = tuple[int, ...] | str  # the locations' values, or "deadlock"

DEADLOCK = "deadlock"
UNBOUNDED = 10  # more preemptions than any generated program can take
MAX_OPS = 4  # per thread
MAX_TOTAL_OPS = 10  # per program, so that brute force stays cheap


class ModelState:
    """Where a model program is: each thread's next operation, registers, memory, locks."""

    def __init__(self, program: Program, locations: int) -> None:
        self.program = program
        self.pcs = [0] * len(program)
        self.registers = [0] * len(program)
        self.memory = [0] * locations
        self.owners: dict[int, int] = {}  # lock -> thread holding it

    def copy(self) -> ModelState:
        other = ModelState.__new__(ModelState)
        other.program = self.program
        other.pcs = list(self.pcs)
        other.registers = list(self.registers)
        other.memory = list(self.memory)
        other.owners = dict(self.owners)
        return other

    def live(self) -> list[int]:
        return [t for t, ops in enumerate(self.program) if self.pcs[t] < len(ops)]

    def enabled(self) -> list[int]:
        """The live threads that can take their next step, in index order."""
        enabled = []
        for t in self.live():
            kind, lock, _ = self.program[t][self.pcs[t]]
            if kind == "acquire" and lock in self.owners:
                continue
            enabled.append(t)
        return enabled

    def step(self, t: int) -> Step:
        pc = self.pcs[t]
        kind, target, value = self.program[t][pc]
        if kind == "read":
            self.registers[t] = self.memory[target]
        elif kind == "inc":
            self.memory[target] = self.registers[t] + 1
        elif kind == "const":
            self.memory[target] = value
        elif kind == "acquire":
            assert target not in self.owners
            self.owners[target] = t
        elif kind == "release":
            assert self.owners.pop(target) == t
        else:  # pragma: no cover - the generator makes no other kind
            raise AssertionError(kind)
        self.pcs[t] = pc + 1
        return (t, pc)

    def final(self) -> Final:
        return DEADLOCK if self.live() else tuple(self.memory)


@dataclass(frozen=True)
class Model:
    program: Program
    locations: int

    def __str__(self) -> str:
        return " | ".join(
            "; ".join(f"{k} {a}" + (f"={v}" if k == "const" else "") for k, a, v in ops)
            for ops in self.program
        )


@dataclass
class ModelRun:
    steps: tuple[Step, ...]
    final: Final
    decisions: list[Decision] = field(default_factory=list)

    @property
    def preemptions(self) -> int:
        return sum(d.preemption for d in self.decisions)


def run_model(model: Model, chooser: Chooser) -> ModelRun:
    """One run of ``model``, every decision taken by ``chooser``, as the threads runtime
    takes them (``Execution._choose``): a decision wherever more than one thread is enabled;
    ``current`` is the thread that took the last step if it can go on, else None; the
    default keeps it, or takes the lowest-numbered enabled thread."""
    state = ModelState(model.program, model.locations)
    counts = [0] * len(model.program)  # steps each thread has taken
    last: int | None = None
    steps: list[Step] = []
    decisions: list[Decision] = []
    while True:
        enabled = state.enabled()
        if not enabled:
            break
        current = last if last in enabled else None
        if len(enabled) > 1:
            # Before the first step no thread has stepped: (0, 0) names that point.
            at: Position = (last, counts[last]) if last is not None else (0, 0)
            step = len(steps) + 1
            chosen = chooser.choose(step, list(enabled), current, at)
            assert chosen in enabled, f"chooser picked {chosen}, not one of {enabled}"
            default = current if current is not None else enabled[0]
            preemption = current is not None and chosen != current
            decisions.append(Decision(step, chosen, default, preemption, at))
        else:
            chosen = enabled[0]
        steps.append(state.step(chosen))
        counts[chosen] += 1
        last = chosen
    return ModelRun(tuple(steps), state.final(), decisions)


def brute_force(model: Model) -> dict[tuple[Step, ...], tuple[Final, int]]:
    """Every interleaving, by trying every enabled thread at every point, with its final
    state and its count of preemptions (taking the processor from a thread that could go
    on). Written apart from ``run_model``: it shares only the operations' meaning."""
    found: dict[tuple[Step, ...], tuple[Final, int]] = {}

    def go(state: ModelState, last: int | None, steps: tuple[Step, ...], preempted: int) -> None:
        enabled = state.enabled()
        if not enabled:
            assert steps not in found
            found[steps] = (state.final(), preempted)
            return
        for t in enabled:
            cost = int(last in enabled and t != last)
            child = state.copy()
            go(child, t, (*steps, child.step(t)), preempted + cost)

    go(ModelState(model.program, model.locations), None, (), 0)
    return found


def _block(
    draw: st.DrawFn, budget: int, held: frozenset[int], locations: int, locks: int
) -> list[Op]:
    """Up to ``budget`` operations; lock blocks nest properly and never retake a held lock."""
    ops: list[Op] = []
    while budget - len(ops) >= 1:
        room = budget - len(ops)
        free = [lock for lock in range(locks) if lock not in held]
        # Locks weigh more: without them, no thread ever waits and no program deadlocks.
        kinds = ["read", "inc", "const"] + (["lock"] * 3 if free and room >= 2 else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "lock":
            lock = draw(st.sampled_from(free))
            inner = _block(draw, room - 2, held | {lock}, locations, locks) if room > 2 else []
            ops += [("acquire", lock, 0), *inner, ("release", lock, 0)]
        else:
            x = draw(st.integers(0, locations - 1))
            value = draw(st.integers(1, 3)) if kind == "const" else 0
            ops.append((kind, x, value))
        if not draw(st.booleans()):
            break
    return ops


@st.composite
def models(draw: st.DrawFn) -> Model:
    threads = draw(st.integers(2, 3))
    locations = draw(st.integers(1, 3))
    locks = draw(st.integers(0, 2))
    program = []
    total = 0
    for t in range(threads):
        # Leave at least one operation for each thread still to come.
        budget = min(MAX_OPS, MAX_TOTAL_OPS - total - (threads - t - 1))
        ops = _block(draw, budget, frozenset(), locations, locks)
        total += len(ops)
        program.append(tuple(ops))
    return Model(tuple(program), locations)


def dfs_runs(model: Model, bound: int) -> list[ModelRun]:
    strategy = DFSStrategy(preemption_bound=bound)
    runs = []
    while (chooser := strategy.next_chooser()) is not None:
        runs.append(run_model(model, chooser))
        assert len(runs) <= 100_000, "dfs does not stop"
    return runs


# Fixed programs every property is also checked on. A lost update among three workers
# (one of which increments twice), and two locks taken in opposite orders:
_WORKER: tuple[Op, ...] = (("read", 0, 0), ("inc", 0, 0))
LOST_UPDATE = Model((_WORKER, (*_WORKER, *_WORKER), _WORKER), 1)
AB_BA = Model(
    (
        (("acquire", 0, 0), ("acquire", 1, 0), ("release", 1, 0), ("release", 0, 0)),
        (("acquire", 1, 0), ("acquire", 0, 0), ("release", 0, 0), ("release", 1, 0)),
    ),
    1,
)
# Thread 1 sees x == 1, then x == 2: thread 0 must be preempted, and then thread 1.
TWO_PREEMPTIONS = Model(
    (
        (("const", 0, 1), ("const", 0, 2)),
        (("read", 0, 0), ("inc", 1, 0), ("read", 0, 0), ("inc", 2, 0)),
    ),
    3,
)
# Both ways to fail: a deadlock (one preemption), and the last write won by the wrong
# thread (none: thread 1 simply goes first). Shrinking the deadlock must keep a deadlock.
AB_BA_WRITES = Model(
    tuple((*ops, ("const", 0, t + 1)) for t, ops in enumerate(AB_BA.program)),
    1,
)


# ----------------------------------------------------------------- 1. dfs vs brute force


def test_the_model_interpreter_and_brute_force_agree_on_a_lost_update() -> None:
    """A sanity check of the two oracles the properties rest on."""
    worker = (("read", 0, 0), ("inc", 0, 0))
    model = Model((worker, worker), 1)
    every = brute_force(model)
    assert len(every) == 6  # 4! / (2! 2!)
    assert {final for final, _ in every.values()} == {(1,), (2,)}
    assert run_model(model, DefaultChooser()).final == (2,)
    assert sorted(p for _, p in every.values()) == [0, 0, 1, 1, 2, 2]


@settings(PROPERTIES, max_examples=300)
@given(models())
@example(LOST_UPDATE)
@example(AB_BA)
@example(AB_BA_WRITES)
@example(TWO_PREEMPTIONS)
def test_dfs_runs_exactly_the_interleavings_within_its_bound(model: Model) -> None:
    every = brute_force(model)
    for bound in (0, 1, 2, UNBOUNDED):
        runs = dfs_runs(model, bound)
        seen = [run.steps for run in runs]
        assert len(seen) == len(set(seen)), f"dfs ran an interleaving twice (bound {bound})"
        within = {steps: fp for steps, fp in every.items() if fp[1] <= bound}
        assert set(seen) == set(within), f"bound {bound}"
        assert len(runs) == len(within)
        for run in runs:
            final, preemptions = every[run.steps]
            assert run.final == final
            assert run.preemptions == preemptions <= bound
        finals = {run.final for run in runs}
        assert finals == {final for final, _ in within.values()}, f"bound {bound}"
        if bound == 0:
            # The default order alone: each thread runs to its end (or until it waits).
            assert runs[0].steps == run_model(model, DefaultChooser()).steps
    event(f"interleavings: {len(every)}" if len(every) < 10 else "interleavings: 10 or more")
    event(f"can deadlock: {DEADLOCK in {final for final, _ in every.values()}}")


# ----------------------------------------------------------------- 2. replay of real runs

counter = 0


def _increment_two_lines() -> None:
    global counter
    value = counter
    counter = value + 1


def two_line_counter() -> None:
    global counter
    counter = 0
    threads = [threading.Thread(target=_increment_two_lines) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter == 2, f"lost update: counter is {counter}"


@settings(PROPERTIES, max_examples=30)
@given(
    choices=st.lists(st.integers(0, 7), max_size=40),
    granularity=st.sampled_from(["line", "instruction"]),
)
def test_a_run_replays_identically_from_its_deviations(
    choices: list[int], granularity: Granularity
) -> None:
    with Session(two_line_counter, granularity=granularity, include=(__file__,)) as session:
        first = session.run(ListChooser(choices))
        replayed = session.run(ReplayChooser(first.deviations(), strict=True))
    assert replayed.trace == first.trace
    assert replayed.steps == first.steps
    assert replayed.decisions == first.decisions
    assert replayed.deviations() == first.deviations()
    kinds = [o.failure.kind if o.failure is not None else None for o in (first, replayed)]
    assert kinds[0] is kinds[1]
    assert first.thread_names == replayed.thread_names
    event(f"{granularity}, {first.preemptions} preemptions, failure: {kinds[0]}")


# ----------------------------------------------------------------- 3. shrinking


def model_outcome(model: Model, chooser: Chooser, wrong: frozenset[Final]) -> Outcome:
    """A model run as an Outcome: it fails when it deadlocks, or when it ends in one of the
    ``wrong`` states (an assertion, as a lost update would be)."""
    run = run_model(model, chooser)
    failure = None
    if run.final == DEADLOCK:
        failure = Failure(FailureKind.DEADLOCK, "deadlock")
    elif run.final in wrong:
        error = AssertionError(f"the locations end as {run.final}")
        failure = Failure(FailureKind.ASSERTION, str(error), error)
    names = [f"t{t}" for t in range(len(model.program))]
    return Outcome(failure, len(run.steps), run.decisions, list(run.steps), names)


def every_outcome(model: Model, wrong: frozenset[Final]) -> list[Outcome]:
    """Every run of ``model``, as Outcomes, in the order depth-first search takes them."""
    strategy = DFSStrategy(preemption_bound=UNBOUNDED)
    outcomes = []
    while (chooser := strategy.next_chooser()) is not None:
        outcomes.append(model_outcome(model, chooser, wrong))
    return outcomes


def unexpected(model: Model) -> frozenset[Final]:
    """Every state the model can end in but the default order's (and deadlock's)."""
    finals = {final for final, _ in brute_force(model).values()}
    return frozenset(finals - {DEADLOCK, run_model(model, DefaultChooser()).final})


@dataclass
class Case:
    model: Model
    wrong: frozenset[Final]
    found: Outcome  # a failing run, as a search would have found it
    outcomes: list[Outcome]  # every run


def largest_failure(
    model: Model, kind: FailureKind | None = None, wrong: frozenset[Final] | None = None
) -> Case:
    """The model's largest failing run of ``kind`` (any, if None); ``wrong`` defaults to
    every state but the default order's."""
    wrong = unexpected(model) if wrong is None else wrong
    outcomes = every_outcome(model, wrong)
    failing = [o for o in outcomes if o.failure is not None and kind in (None, o.failure.kind)]
    return Case(model, wrong, max(failing, key=size), outcomes)


@st.composite
def failing_models(draw: st.DrawFn) -> Case:
    """A model, the states that fail it (all but the default order's, or one of them: a
    specific one can take more preemptions to reach), and one of its failing runs."""
    model = draw(models())
    wrong = unexpected(model)
    if wrong and bool(draw(st.booleans())):
        wrong = frozenset([draw(st.sampled_from(sorted(wrong, key=str)))])
    outcomes = every_outcome(model, wrong)
    failing = [o for o in outcomes if o.failed]
    # Most small programs have a failing schedule; those that do not are redrawn.
    assume(failing)
    # Half the time the largest: shrinking has the most to do there.
    if draw(st.booleans()):
        found = max(failing, key=size)
    else:
        found = failing[draw(st.integers(0, len(failing) - 1))]
    return Case(model, wrong, found, outcomes)


@settings(PROPERTIES, max_examples=200)
@given(failing_models())
@example(largest_failure(LOST_UPDATE))
@example(largest_failure(AB_BA))
@example(largest_failure(AB_BA_WRITES, FailureKind.DEADLOCK))
@example(largest_failure(TWO_PREEMPTIONS, wrong=frozenset([(2, 2, 3)])))
def test_shrinking_never_makes_a_failure_larger(case: Case) -> None:
    model, found, outcomes = case.model, case.found, case.outcomes
    assert found.failure is not None
    signature = found.failure.signature

    def run(chooser: Chooser) -> Outcome:
        return model_outcome(model, chooser, case.wrong)

    # A clock that never moves: the result depends on the runs, not the machine's speed.
    shrunk = shrink(run, found, clock=lambda: 0.0)
    best = shrunk.best
    assert best.failure is not None and best.failure.signature == signature
    assert size(best) <= size(found)
    assert shrunk.accepted[0] is found
    assert shrunk.accepted[-1] is best
    for outcome in shrunk.accepted:
        assert outcome.failure is not None and outcome.failure.signature == signature
    for before, after in itertools.pairwise(shrunk.accepted):
        assert size(after) < size(before)
    # The best is a schedule: its switches, named by position, replay it exactly.
    event(f"{found.failure.kind}: {found.preemptions} -> {best.preemptions} preemptions")
    again = run(PositionReplayChooser(best.local_deviations()))
    assert again.trace == best.trace
    assert again.failure is not None and again.failure.signature == signature
    # Shrinking's exhaustive pass is exact for small scenarios: when every bound below the
    # best's preemptions has at most 30 schedules, no run with fewer fails the same way.
    if shrunk.stopped is None and best.preemptions >= 2:
        small_enough = all(
            sum(o.preemptions <= bound for o in outcomes) <= 30 for bound in range(best.preemptions)
        )
        event(f"exact pass checked: {small_enough}")
        if small_enough:
            fewest = min(
                o.preemptions
                for o in outcomes
                if o.failure is not None and o.failure.signature == signature
            )
            assert best.preemptions == fewest, _describe(model, found, best)


def _describe(model: Model, found: Outcome, best: Outcome) -> str:
    return (
        f"model {model}: found {found.local_deviations()} ({found.preemptions} preemptions),"
        f" shrunk to {best.local_deviations()} ({best.preemptions} preemptions)"
    )
