"""Dynamic partial-order reduction: one run per order of the conflicting steps.

Two schedules that differ only in the order of steps that touch nothing in common end
the same way: they are the same *trace* (Mazurkiewicz). ``dpor`` runs one schedule of
each, and so, when it runs out of schedules, has shown the property for every
interleaving; ``dfs`` runs them all, up to a preemption bound.

The algorithm is source-DPOR with sleep sets (Abdulla, Aronis, Jonsson and Sagonas,
"Optimal dynamic partial order reduction", POPL 2014), stateless: every run goes to its
end, then its steps are read back from the access log, in the order they ran (a thread
preempted at a switch point runs that instruction only when it is chosen again, so the
trace's rows are not that order), split at each decision and each trace row.

* A step's *footprint* is what the access model logged for it: the locations it read
  and wrote, the locks it took or gave back, and whether it called into code races
  cannot see (opaque: it conflicts with everything, so an unknown step never hides an
  order). Two steps of different threads are *dependent* when their footprints
  conflict; happens-before is program order, thread creation, and dependence.
* Two dependent steps ``k`` and ``j`` *race* when nothing else orders them: ``j``'s
  thread did not know of ``k`` before ``j``. Taking a lock races with the previous
  taking of the same lock (giving it back orders, but cannot be reversed: the next
  taker was waiting). For each race, some thread that can start the reversed order
  (an *initial* of the steps after ``k`` that do not depend on it, then ``j``) is added
  to the *backtrack set* of the decision before ``k``, unless one is there already.
* A thread explored at a decision goes to sleep for the schedules that take another
  thread there, and stays asleep until a step dependent with its own runs: running it
  earlier would repeat a trace already seen. The chooser follows sleep sets live, from
  the runtime's event log (``observe``). A sleeping step was seen in an earlier run,
  where objects had other ids: objects are named by where the log first mentions them
  (a lock's birth is logged), the same in every run up to the decision; an object first
  mentioned after it could be any, and is matched with any such object (``LATER``).

The search ends when no decision has a thread left in its backtrack set that is neither
done nor asleep: every trace has been run, and the result is a proof, as far as the
access model sees (``opaque`` steps keep it sound, at the cost of more runs). A run in
which every thread that could go on is asleep could only repeat a trace: it is cut short
(``CUT``) and not counted. With a ``preemption_bound``, choices that would exceed it are
left out; with a ``step_bound``, races whose first step comes after that many steps are
not reversed (the run goes on in its default order past it). Either way the result says
it is a bounded search, not a proof, and how many orders the bound left out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from races.core.strategies.base import CUT, Chooser, SearchReport, Strategy, StrategyOptions
from races.vocabulary.access import WHOLE, Access, Event, Kind, Sync
from races.vocabulary.errors import InvalidArgument, ScheduleDivergedError
from races.vocabulary.outcome import Outcome, Position

Key = tuple[Hashable, Hashable]  # a location: (owner, key)

#: The name of an object first mentioned after the decision a sleeping step was seen at,
#: with its kind: it may be any object of that kind first mentioned there in another run.
LATER = "later"


@dataclass
class Footprint:
    """What one step touched, as far as ordering goes."""

    reads: set[Key] = field(default_factory=set)
    writes: set[Key] = field(default_factory=set)
    syncs: set[Hashable] = field(default_factory=set)  # every primitive it synchronised on
    takes: set[Hashable] = field(default_factory=set)  # the locks it took
    #: Locks it only looked at (a non-blocking acquire, ``is_alive()``): whether it found
    #: one free depends on the order with the last release of it.
    tries: set[Hashable] = field(default_factory=set)
    starts: list[int] = field(default_factory=list)  # the threads it started
    opaque: bool = False

    def add(self, event: Any) -> None:
        if isinstance(event, Access):
            key = (event.location.owner, event.location.key)
            if event.kind.reads:
                self.reads.add(key)
            if event.kind in (Kind.WRITE, Kind.UPDATE, Kind.CAS):  # iterating only reads
                self.writes.add(key)
        elif isinstance(event, Sync):
            if event.kind == "start":
                self.starts.append(event.obj)
            elif event.kind in ("acquire", "release", "request", "try"):
                self.syncs.add(event.obj)
                if event.kind in ("acquire", "request"):  # a request queues like a taking
                    self.takes.add(event.obj)
                elif event.kind == "try":
                    self.tries.add(event.obj)
        else:  # OPAQUE_STEP
            self.opaque = True

    def renamed(self, name: Callable[[Hashable], Hashable]) -> Footprint:
        """The same footprint with every object named by ``name`` instead of its id."""
        return Footprint(
            reads={(name(owner), key) for owner, key in self.reads},
            writes={(name(owner), key) for owner, key in self.writes},
            syncs={name(obj) for obj in self.syncs},
            takes={name(obj) for obj in self.takes},
            tries={name(obj) for obj in self.tries},
            starts=list(self.starts),
            opaque=self.opaque,
        )

    def dependent(self, other: Footprint) -> bool:
        """Whether the two steps' order can matter (they are of different threads)."""
        return (
            self.opaque
            or other.opaque
            or not self.syncs.isdisjoint(other.syncs)
            or _touch(self.writes, other.reads | other.writes)
            or _touch(other.writes, self.reads)
        )


def _touch(writes: set[Key], others: set[Key]) -> bool:
    """Whether a write of ``writes`` may touch a location of ``others``."""
    if not writes or not others:
        return False
    if not writes.isdisjoint(others):
        return True
    # A whole container (its length, an iteration, an append) overlaps each of its items.
    whole = {owner for owner, key in writes if key is WHOLE}
    whole_other = {owner for owner, key in others if key is WHOLE}
    return bool(whole & {owner for owner, _ in others}) or bool(
        whole_other & {owner for owner, _ in writes}
    )


class _Names:
    """Names the objects of one run by where its log first mentions them."""

    def __init__(self) -> None:
        self.first: dict[Hashable, tuple[int, str]] = {}  # id -> (index, its kind)
        self.read = 0  # events named so far

    def feed(self, events: Sequence[Event]) -> None:
        first = self.first
        for index in range(self.read, len(events)):
            event = events[index][2]
            if isinstance(event, Access):
                first.setdefault(event.location.owner, (index, event.location.of))
            elif isinstance(event, Sync) and event.kind != "start":
                first.setdefault(event.obj, (index, "lock"))
        self.read = len(events)

    def namer(self, horizon: int) -> Callable[[Hashable], Hashable]:
        """Names as seen from a decision taken after ``horizon`` events."""
        first = self.first

        def name(obj: Hashable) -> Hashable:
            index, kind = first.get(obj, (horizon, ""))
            return index if index < horizon else (LATER, kind)

        return name


#: A sleeping thread's next step, with its objects named as seen from the decision it
#: was recorded at (that decision's ``horizon``).
Pending = tuple[Footprint, int]


@dataclass
class _Node:
    """A decision of the current path: who could run, who ran, what is left to try."""

    step: int  # the trace index of the step it decides
    horizon: int  # events logged before it
    enabled: list[int]
    chosen: int
    current: int | None  # the thread that could go on (choosing another preempts it)
    preemptions: int  # taken on the path before it
    sleep: dict[int, Pending]  # asleep on arrival, with the step each would take
    done: dict[int, Pending] = field(default_factory=dict)  # tried here, with their step
    backtrack: set[int] = field(default_factory=set)
    beyond: set[int] = field(default_factory=set)  # left out by the preemption bound

    def cost(self, thread: int) -> int:
        return int(self.current is not None and thread != self.current)

    def next_choice(
        self, bound: int | None, tried: set[int] | None = None
    ) -> tuple[int | None, int]:
        """The next thread to try here, and how many the bound newly left out; ``tried``
        are the threads tried here already (by default those whose step is known)."""
        tried = set(self.done) if tried is None else tried
        left = sorted(self.backtrack - tried - set(self.sleep) - self.beyond)
        within = [t for t in left if bound is None or self.preemptions + self.cost(t) <= bound]
        beyond = set(left) - set(within)
        self.beyond |= beyond
        return (within[0] if within else None), len(beyond)


class _DPORChooser:
    """Replays the path to the decision being revisited, then runs on, avoiding threads
    that are asleep."""

    def __init__(self, strategy: DPORStrategy) -> None:
        self.strategy = strategy
        self.depth = 0
        self.sleep: dict[int, Pending] = {}
        self.events: Sequence[Event] = ()
        self.trace: Sequence[Any] = ()
        self.seen = 0
        self.names = _Names()
        self.spent = 0  # preemptions so far in this run

    def observe(self, events: Sequence[Event], trace: Sequence[Any]) -> None:
        self.events = events
        self.trace = trace

    def _wake(self) -> None:
        """Threads asleep stay asleep until a step dependent with theirs runs."""
        new = self.events[self.seen :]
        self.seen = len(self.events)
        if not self.sleep or not new:
            return
        self.names.feed(self.events)
        by_thread: dict[int, Footprint] = {}
        for thread, _step, event, _where in new:
            by_thread.setdefault(thread, Footprint()).add(event)
        named: dict[int, dict[int, Footprint]] = {}  # horizon -> thread -> its footprint
        for sleeper, (pending, horizon) in list(self.sleep.items()):
            if horizon not in named:
                name = self.names.namer(horizon)
                named[horizon] = {t: f.renamed(name) for t, f in by_thread.items()}
            if any(
                thread != sleeper and footprint.dependent(pending)
                for thread, footprint in named[horizon].items()
            ):
                del self.sleep[sleeper]

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        self._wake()
        path = self.strategy.path
        index = len(self.trace)
        if self.depth < len(path):
            node = path[self.depth]
            if node.enabled != list(enabled) or node.step != index:
                raise ScheduleDivergedError(
                    f"the scenario is not deterministic: at step {index} the threads that can "
                    f"run are {list(enabled)}, but an earlier run with the same choices had "
                    f"{node.enabled} at step {node.step}. Partial-order reduction needs a "
                    "scenario that depends only on the interleaving (no real time, I/O or "
                    "unseeded randomness)"
                )
            if self.depth == len(path) - 1:
                # The decision being revisited: what was tried here sleeps, unless the new
                # choice wakes it.
                self.sleep = {**node.sleep, **node.done}
                self.seen = len(self.events)
            else:
                self.sleep = dict(node.sleep)
            chosen = node.chosen
        else:
            awake = [t for t in enabled if t not in self.sleep]
            if not awake:
                # Every thread that can run is asleep: whatever comes next repeats a trace
                # already run. End the run here.
                return CUT
            chosen = current if current in awake else awake[0]
            horizon = len(self.events)
            node = _Node(
                index,
                horizon,
                list(enabled),
                chosen,
                current,
                self.spent,
                dict(self.sleep),
                backtrack={chosen},
            )
            path.append(node)
        self.spent = node.preemptions + node.cost(chosen)
        self.depth += 1
        self.sleep.pop(chosen, None)
        return chosen


class DPORStrategy(Strategy):
    """Source-DPOR with sleep sets over the access model (see the module's docstring)."""

    name = "dpor"
    default_budget = 100_000
    seeded = False

    @classmethod
    def create(cls, options: StrategyOptions) -> Strategy:
        return cls(preemption_bound=options.preemption_bound, step_bound=options.step_bound)

    def __init__(self, preemption_bound: int | None = None, step_bound: int | None = None) -> None:
        if preemption_bound is not None and preemption_bound < 0:
            raise InvalidArgument(f"preemption_bound must be 0 or more, not {preemption_bound}")
        if step_bound is not None and step_bound < 1:
            raise InvalidArgument(f"step_bound must be 1 or more, not {step_bound}")
        self.preemption_bound = preemption_bound
        self.step_bound = step_bound
        self.path: list[_Node] = []
        self.cut = 0  # runs cut short where they would only repeat a trace
        self.left_out = 0  # orders the preemption bound kept from running
        #: Reversals the step bound kept from running: (step, horizon, thread) of each.
        self.left_out_late: set[tuple[int, int, int]] = set()

    def next_chooser(self) -> Chooser | None:
        return _DPORChooser(self)

    def search(self, run: Callable[[Chooser], Outcome], budget: int) -> SearchReport:
        """Runs until every trace has run, or ``budget`` runs. A run cut short where it
        could only repeat a trace (every thread able to run asleep) still teaches its
        races, but is not counted as a schedule: it is not one."""
        schedules = 0
        chooser: _DPORChooser | None = _DPORChooser(self)
        while chooser is not None and schedules + self.cut < budget:
            outcome = run(chooser)
            if outcome.cut:
                self.cut += 1
            else:
                schedules += 1
            if outcome.failed:
                return SearchReport(outcome, schedules)
            self._learn(outcome)
            chooser = self._next()
        return SearchReport(None, schedules, exhausted=chooser is None)

    # ------------------------------------------------------------------ after a run

    def _learn(self, outcome: Outcome) -> None:
        """Read the run back: each decision's step, then the races and what reverses them."""
        self.apply(self.path, *read_back(self.path, outcome))

    def apply(self, path: Sequence[_Node], done: Learned, races: Reversals) -> None:
        """What a run read back (``read_back``) taught the decisions of its ``path``."""
        for index, thread, pending in done:
            path[index].done.setdefault(thread, pending)
        for index, initials in races:
            before = path[index]
            if initials & (before.backtrack | set(before.sleep)):
                # Some thread that starts the reversed order is tried there, or asleep
                # there: its traces were run from an earlier decision.
                continue
            candidates = sorted(t for t in initials if t in before.enabled)
            if candidates and self.step_bound is not None and before.step >= self.step_bound:
                self.left_out_late.add((before.step, before.horizon, candidates[0]))
            elif candidates:
                before.backtrack.add(candidates[0])
            # else none of them can run there: a thread just started runs only once its
            # parent waits, so the reversed order is not one this runtime can take.

    def _next(self) -> _DPORChooser | None:
        """The deepest decision with a thread left to try; None when the search is over."""
        while self.path:
            node = self.path[-1]
            choice, skipped = node.next_choice(self.preemption_bound)
            self.left_out += skipped
            if choice is not None:
                node.chosen = choice
                return _DPORChooser(self)
            self.path.pop()
        return None

    def describe_pass(self, search: SearchReport) -> str:
        cut = f"; {self.cut} more cut short where they would repeat one" if self.cut else ""
        runs = f"{search.schedules} schedule{'' if search.schedules == 1 else 's'}"
        late = len(self.left_out_late)
        if search.exhausted and (self.left_out or late):
            bounds, left = [], []
            if self.left_out:
                bound = self.preemption_bound
                bounds.append(f"at most {bound} preemption{'' if bound == 1 else 's'}")
                left.append(
                    f"the preemption bound left out {_orders(self.left_out)} at the decisions "
                    "it reached"
                )
            if late:
                bounds.append(f"reorderings within the first {self.step_bound} steps")
                left.append(f"the step bound left out {_orders(late)} after it")
            return (
                f"no failure in {runs} with {' and '.join(bounds)} (a bounded search, not a "
                f"proof: {'; '.join(left)})"
            )
        if search.exhausted:
            return (
                f"proved: no failure in any interleaving ({runs}, one per order of the "
                f"conflicting steps{cut})"
            )
        return (
            f"no failure in {runs} (budget reached before every order of the conflicting "
            "steps was run: not a proof)"
        )


#: The step each decision of a path chose, where it was not known yet: (index, the
#: thread chosen, its step).
Learned = list[tuple[int, int, Pending]]
#: The races of a run, each as the decision before its first step and the threads that
#: can start the reversed order there: (index, initials).
Reversals = list[tuple[int, frozenset[int]]]


def read_back(path: Sequence[_Node], outcome: Outcome) -> tuple[Learned, Reversals]:
    """A run of ``path`` read back, changing nothing: the step each decision chose (where
    not known yet), and the races, at the decision before each."""
    steps, first = _steps(outcome, [node.horizon for node in path])
    names = _Names()
    names.feed(outcome.events)
    nodes: dict[int, int] = {}  # step -> the decision right before it, that chose it
    done: Learned = []
    for i, node in enumerate(path):
        index = first[node.horizon]
        mine = index < len(steps) and steps[index][0] == node.chosen
        if mine:
            nodes[index] = i  # a later decision at the same point replaces it
        elif nodes.get(index) is not None and path[nodes[index]].horizon == node.horizon:
            del nodes[index]  # the step there is another thread's: not this choice
        if node.chosen not in node.done:
            footprint = steps[index][1] if mine else _NOTHING
            pending = (footprint.renamed(names.namer(node.horizon)), node.horizon)
            done.append((i, node.chosen, pending))
    races: Reversals = []
    for k, _j, initials in _races(steps):
        if k in nodes:  # else only one thread could run there: nothing to reverse
            races.append((nodes[k], frozenset(initials)))
    return done, races


def _orders(count: int) -> str:
    return f"{count} order{'' if count == 1 else 's'}"


def _steps(
    outcome: Outcome, horizons: Sequence[int]
) -> tuple[list[tuple[int, Footprint]], dict[int, int]]:
    """The run's steps in the order they ran, each a thread's run of events between two
    decisions, and where each decision's step starts (``horizon -> index``).

    The log, not the trace, gives the order: a thread preempted at a switch point has
    its row in the trace, but runs that instruction only when it is chosen again.
    """
    cuts = sorted(set(horizons))
    first: dict[int, int] = {}
    steps: list[tuple[int, Footprint]] = []
    cut = 0
    now: tuple[int, int] | None = None  # the thread and trace row of the last event
    for index, (thread, row, event, _where) in enumerate(outcome.events):
        boundary = False
        while cut < len(cuts) and cuts[cut] <= index:
            first[cuts[cut]] = len(steps)
            cut += 1
            boundary = True
        # A thread that runs alone takes many rows without a decision: each row is a
        # step, so that a join orders the reads after it.
        if boundary or (thread, row) != now:
            steps.append((thread, Footprint()))
            now = (thread, row)
        steps[-1][1].add(event)
    for horizon in cuts[cut:]:
        first[horizon] = len(steps)
    return steps, first


#: The footprint of a step that touched nothing shared (never changed).
_NOTHING = Footprint()


def _races(steps: Sequence[tuple[int, Footprint]]) -> list[tuple[int, int, set[int]]]:
    """Every race of a run, ``(k, j, initials)``: step ``k`` and the later step ``j``
    conflict and nothing else orders them; ``initials`` are the threads that can start
    the reversed order from the state before ``k``."""
    clocks: list[dict[int, int]] = []
    position: list[int] = []  # each step's number in its thread
    last: dict[int, int] = {}  # thread -> its last step
    count: dict[int, int] = {}
    last_write: dict[Key, int] = {}
    reads_since: dict[Key, dict[int, int]] = {}  # reads since the last write, by thread
    last_sync: dict[Hashable, int] = {}
    last_take: dict[Hashable, dict[int, int]] = {}  # lock -> thread -> its last taking
    #: lock -> thread -> its last look at it (``tries``) since the last thing done to it.
    looks: dict[Hashable, dict[int, int]] = {}
    owners: dict[Hashable, set[Key]] = {}  # every key seen of an owner, for whole writes
    opaque: int | None = None
    created: dict[int, int] = {}
    found: list[tuple[int, int, set[int]]] = []
    for j, (thread, footprint) in enumerate(steps):
        count[thread] = count.get(thread, 0) + 1
        position.append(count[thread])
        before = dict(clocks[last[thread]]) if thread in last else {}
        if thread not in last and thread in created:
            # A thread starts running only once its parent waits for it to start (in
            # Thread.start): it comes after the parent's steps so far, not only the one
            # that created it.
            _join(before, clocks[last[steps[created[thread]][0]]])
        before[thread] = count[thread]
        dependencies: set[int] = set()
        rivals: set[int] = set()  # candidates for a race with j, by what they touch
        takers: set[int] = set()  # and by the locks they took
        keys = footprint.reads | footprint.writes
        for key in _overlapping(keys, owners) if keys else ():
            writer = last_write.get(key)
            if writer is not None:
                dependencies.add(writer)
                rivals.add(writer)
        for key in _overlapping(footprint.writes, owners) if footprint.writes else ():
            for reader in reads_since.get(key, {}).values():
                dependencies.add(reader)
                rivals.add(reader)
        for obj in footprint.syncs:
            if obj in last_sync:
                dependencies.add(last_sync[obj])
        for obj in footprint.takes:
            takers.update(last_take.get(obj, {}).values())
        # A look at a lock races with the last thing done to it: had it come first, it
        # would have seen the lock as it was before.
        lookers = {last_sync[obj] for obj in footprint.tries if obj in last_sync}
        # And what is done to a lock races with the looks at it since: had it come first,
        # they would have seen the lock as it was after (a thread's end, after a look at
        # whether it is alive).
        done_to = footprint.syncs - footprint.tries
        looked = {
            look
            for obj in done_to
            for looker, look in looks.get(obj, {}).items()
            if looker != thread
        }
        if opaque is not None:
            dependencies.add(opaque)
            rivals.add(opaque)
        if footprint.opaque:
            dependencies.update(last.values())
            rivals.update(last.values())
        clock = before if not dependencies else dict(before)
        for k in dependencies:
            if steps[k][0] != thread:
                _join(clock, clocks[k])
        clocks.append(clock)
        # The races: of each kind, the rivals j's thread did not know of and no other
        # rival comes after. Takings of a lock are compared apart: the previous taker's
        # critical section orders it before j (a step may take a lock and touch what it
        # guards), but the order of the two takings is the one to reverse.
        for group in (rivals, takers, lookers, looked):
            if not group:
                continue
            unknown = {
                k
                for k in group
                if steps[k][0] != thread and before.get(steps[k][0], 0) < position[k]
            }
            for k in unknown:
                if any(
                    other != k and clocks[other].get(steps[k][0], 0) >= position[k]
                    for other in unknown
                ):
                    continue
                found.append((k, j, _initials(steps, clocks, position, k, j)))
        # What later steps depend on.
        for key in footprint.reads:
            reads_since.setdefault(key, {})[thread] = j
            owners.setdefault(key[0], set()).add(key)
        for key in footprint.writes:
            last_write[key] = j
            reads_since.pop(key, None)
            owners.setdefault(key[0], set()).add(key)
        for obj in footprint.syncs:
            last_sync[obj] = j
        for obj in done_to:
            looks.pop(obj, None)
        for obj in footprint.tries:
            looks.setdefault(obj, {})[thread] = j
        for obj in footprint.takes:
            last_take.setdefault(obj, {})[thread] = j
        if footprint.opaque:
            opaque = j
        last[thread] = j
        for child in footprint.starts:
            created[child] = j
    return found


def _overlapping(keys: set[Key], owners: dict[Hashable, set[Key]]) -> set[Key]:
    """The keys whose accesses may touch ``keys``: themselves, their owner's whole, and,
    for a whole object, every key of it seen so far."""
    found = set(keys)
    for owner, key in keys:
        found.add((owner, WHOLE))
        if key is WHOLE:
            found.update(owners.get(owner, ()))
    return found


def _initials(
    steps: Sequence[tuple[int, Footprint]],
    clocks: Sequence[dict[int, int]],
    position: Sequence[int],
    k: int,
    j: int,
) -> set[int]:
    """The threads whose first step, among the steps after ``k`` that do not depend on it
    and then ``j``, depends on none of the others: those that can go first instead of k."""
    owner = steps[k][0]
    sequence = [m for m in range(k + 1, j) if clocks[m].get(owner, 0) < position[k]]
    sequence.append(j)
    initials: set[int] = set()
    for index, m in enumerate(sequence):
        clock = clocks[m]
        if not any(clock.get(steps[p][0], 0) >= position[p] for p in sequence[:index]):
            initials.add(steps[m][0])
    return initials


def _join(clock: dict[int, int], other: dict[int, int]) -> None:
    for thread, value in other.items():
        if clock.get(thread, 0) < value:
            clock[thread] = value
