"""Races found in runs that pass: atomicity violations and lock-order inversions.

One run's log (``Outcome.events``: what each step touched, and how threads synchronised,
in the order it happened) is enough to predict bugs that other interleavings would show.

Happens-before
--------------
Vector clocks, one per thread and one per lock: a release copies the thread's clock into
the lock's, an acquire joins the lock's into the thread's, starting a thread gives it its
parent's. Every primitive of ``threading`` and ``queue`` is built on locks, so these
edges are all the ordering a threaded program has. An access ``a`` happens before a later
``b`` exactly when ``a``'s thread had reached ``a``'s clock in ``b``'s view (the test of
FastTrack's epochs, Flanagan and Freund, PLDI 2009). So an access keeps its epoch (its
thread and that thread's own clock) and, for when it is the later of two, what its thread
knew of the others: one snapshot of the thread's clock, shared by all its accesses until
the thread next synchronises, so the log costs a copy per synchronisation, not per access.

Atomicity violations
--------------------
A thread reads a location and later writes it (or acts on the check it read): another
thread's write that happens neither before the read nor after the write could come in
between, in some interleaving, whatever this run did. That is the unserialisable pattern
"local read, remote write, local write" of AVIO (Lu et al., ASPLOS 2006): the lost update
and check-then-act. A builtin operation (one ``append``, one ``setdefault``) is a single
atomic access and never forms such a pair by itself, so two appends are not a race.

Lock order
----------
Like the Linux kernel's lockdep: every lock a thread takes while it holds another adds an
edge "held -> taken" with where each was taken; a cycle of edges is a deadlock waiting for
the right interleaving, even in a run that did not deadlock. Only the locks the program
takes itself count (those inside a library's primitives are its own business). A lock is
named by its class, where it was made (``races.core.sites.LockClasses``), not by its id,
so the graph grows across the schedules of an exploration and the tests of a pytest run:
one test that takes ``a`` then ``b`` and another that takes ``b`` then ``a`` form a cycle
that neither shows alone.
"""

from __future__ import annotations

import functools
import linecache
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import CodeType

from races.core.instructions import INSTRUCTIONS
from races.core.sites import LockClass
from races.vocabulary.access import Access, Event, Kind, Location, Sync
from races.vocabulary.outcome import Outcome

Clock = dict[int, int]


@dataclass(slots=True, unsafe_hash=True)  # a value (``races.vocabulary.access``)
class Touch:
    """One access of one thread, in a run: where it stands in the log, in time and in code."""

    thread: int
    step: int  # index in the run's trace
    order: int  # position in the run's log
    access: Access
    clock: int  # the thread's own clock at the access: with ``thread``, its epoch
    #: What the thread knew of every clock then: one snapshot shared by all its accesses
    #: until its next synchronisation, never changed.
    seen: Mapping[int, int] = field(compare=False)
    site: Hashable = None  # the instruction that made it: (code, offset)

    def knew(self, thread: int) -> int:
        return self.seen.get(thread, 0)

    def ordered(self, other: Touch) -> bool:
        """Whether one of the two accesses happens before the other."""
        first, last = (self, other) if self.order < other.order else (other, self)
        return first.thread == last.thread or first.clock <= last.knew(first.thread)


@dataclass(frozen=True)
class AtomicityViolation:
    """``first`` and ``second`` by one thread, ``remote`` by another, unordered with both.

    ``remote`` is a write that can fall between the two; or (``stale``) a read of the same
    check ``first`` made, that can come before ``second`` and so see what ``first`` saw.
    """

    location: Location
    first: Touch
    remote: Touch
    second: Touch

    @property
    def stale(self) -> bool:
        return not self.remote.access.kind.writes

    @property
    def used_stale(self) -> bool:
        """A check, then a use of what was checked (a read), with another thread's write
        able to come between: ``if conn is not None: conn.send()``."""
        return not self.second.access.kind.writes and self.remote.access.kind.writes

    @property
    def torn(self) -> bool:
        """Two updates meant as one (two appends of one record), with another thread's
        in between: only ever told of a run that went through it."""
        return not self.first.access.kind.checks

    @property
    def iteration(self) -> bool:
        return self.second.access.kind is Kind.ITERATE

    @property
    def happened(self) -> bool:
        """Whether this run itself put ``remote`` between the two."""
        return self.first.order < self.remote.order < self.second.order

    @property
    def key(self) -> tuple[Location, Hashable, Hashable]:
        return (self.location, self.first.site, self.remote.site)


@dataclass(frozen=True)
class OverRelease:
    """A semaphore given back more often than it was taken: it now lets more in than it
    was made for (what ``BoundedSemaphore`` refuses with ValueError)."""

    thread: int
    capacity: int
    value: int  # permits free after this release
    released_at: tuple[str, int] | None
    #: The same thread's earlier releases and acquisitions of it, in order.
    history: tuple[tuple[str, tuple[str, int] | None], ...] = ()
    #: A BoundedSemaphore refused it (ValueError): nothing was given back.
    refused: bool = False

    @property
    def key(self) -> tuple[object, ...]:
        return (self.released_at, self.history)


@dataclass(frozen=True)
class LockEdge:
    """A thread took ``taken`` while it held ``held`` (and the semaphore permits ``gates``).

    Locks are named by their class; ``thread`` is the thread's index in its run and
    ``who`` its name, with the test it ran in when the graph spans a pytest run.
    """

    held: LockClass
    taken: LockClass
    thread: int
    held_at: tuple[str, int] | None
    taken_at: tuple[str, int] | None
    gates: frozenset[tuple[int, int]] = frozenset()  # (semaphore, capacity)
    who: str = ""


@dataclass(frozen=True)
class LockCycle:
    """Locks taken in orders that form a cycle: a deadlock in waiting."""

    edges: tuple[LockEdge, ...]

    @property
    def key(self) -> tuple[tuple[object, object], ...]:
        """The cycle as the code makes it: where each lock was held and taken."""
        return tuple(sorted((repr(e.held_at), repr(e.taken_at)) for e in self.edges))


@dataclass
class Findings:
    """What the analysis of one run (or several: ``merge``) found."""

    violations: list[AtomicityViolation] = field(default_factory=list)
    #: The lock-order graph, by lock class: of one run, or of all runs merged; for each
    #: pair of locks, the edges of up to two threads (``add_edge``).
    lock_edges: dict[tuple[LockClass, LockClass, int], LockEdge] = field(default_factory=dict)
    #: Its cycles that can close; across runs, each once by the sites of its edges.
    lock_cycles: list[LockCycle] = field(default_factory=list)
    over_releases: list[OverRelease] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.violations) or bool(self.lock_cycles) or bool(self.over_releases)

    def merge(self, other: Findings) -> None:
        """Add another run's findings: a violation once per location and pair of sites,
        a lock cycle once per set of acquisition sites, and its lock-order edges."""
        known = {v.key for v in self.violations}
        for violation in other.violations:
            if violation.key not in known:
                known.add(violation.key)
                self.violations.append(violation)
        cycles = {c.key for c in self.lock_cycles}
        for cycle in other.lock_cycles:
            if cycle.key not in cycles:
                cycles.add(cycle.key)
                self.lock_cycles.append(cycle)
        for edge in other.lock_edges.values():
            add_edge(self.lock_edges, edge)
        releases = {r.key for r in self.over_releases}
        self.over_releases += [r for r in other.over_releases if r.key not in releases]


def add_edge(edges: dict[tuple[LockClass, LockClass, int], LockEdge], edge: LockEdge) -> None:
    """Add ``edge`` to a lock-order graph unless it has the pair of locks already, from this
    thread or from two others: a cycle needs two threads, and two per pair are enough to
    find one wherever it exists, however many threads take the pair."""
    first = edges.get((edge.held, edge.taken, 0))
    if first is None:
        edges[edge.held, edge.taken, 0] = edge
    elif (first.who, first.thread) != (edge.who, edge.thread):
        edges.setdefault((edge.held, edge.taken, 1), edge)


def analyse(outcome: Outcome, *, observed: bool = False) -> Findings:
    """Everything one run predicts; with ``observed``, also the violations the run went
    through whatever ordered them (what explains a failed run: a check made stale while
    its thread waited on a condition is ordered, and still the cause)."""
    analysis = _Analysis()
    analysis.observed = observed
    analysis.atomic_steps = outcome.atomic_steps
    analysis.names = outcome.thread_names
    findings = analysis.run(outcome.events)
    # A check whose thread then writes what it checked is a check-then-act; its use of
    # the value on the way (`balance -= amount` reads first) is not a second bug.
    acted = {(v.first.thread, v.first.order) for v in findings.violations if not v.used_stale}
    findings.violations = [
        v
        for v in findings.violations
        if not v.used_stale or (v.first.thread, v.first.order) not in acted
    ]
    findings.lock_cycles = lock_cycles(findings.lock_edges.values())
    return findings


def touches(outcome: Outcome) -> list[Touch]:
    """Every access of a run, with its place in the happens-before order."""
    analysis = _Analysis()
    analysis.log = []
    analysis.run(outcome.events)
    return analysis.log


#: Synchronisations that move no clock and take no lock: a lock's birth, a look at a lock
#: that took it or found it taken, an asyncio waiter's request (a third of a run's are births).
_UNORDERED = frozenset({"made", "try", "request"})


class _Analysis:
    def __init__(self) -> None:
        self.clocks: dict[int, Clock] = {0: {0: 1}}
        self.snapshots: dict[int, Mapping[int, int]] = {}
        self.locks: dict[int, Clock] = {}
        # Per thread, the mutexes it holds: id -> (class, where it took it).
        self.held: dict[int, dict[int, tuple[LockClass, tuple[str, int] | None]]] = {}
        self.names: Sequence[str] = ()
        self.permits: dict[int, dict[int, int]] = {}  # thread -> semaphore -> capacity
        self.taken: dict[int, int] = {}  # semaphore -> permits taken less given back
        self.balance: dict[tuple[int, int], int] = {}  # the same, per thread
        self.uses: dict[tuple[int, int], list[tuple[str, tuple[str, int] | None]]] = {}
        self.order = 0
        # Per location and thread: its last access, its last check-then-write pair, its
        # last write; enough to find each pattern once, however long the run.
        self.last: dict[tuple[int, Location], Touch] = {}
        self.pairs: dict[int, dict[tuple[int, Location], tuple[Touch, Touch]]] = {}
        # And its last check-then-use pair (a check, then a read of what it checked).
        self.check_uses: dict[int, dict[tuple[int, Location], tuple[Touch, Touch]]] = {}
        self.writes: dict[int, dict[tuple[int, Location], Touch]] = {}
        # A thread's checks (reads by site) since its last write of the location, and the
        # checks each write acted on.
        self.checks: dict[tuple[int, Location], dict[Hashable, tuple[Touch, frozenset[int]]]] = {}
        self.acted: dict[int, dict[tuple[int, Location], tuple[dict[Hashable, Touch], Touch]]] = {}
        self.findings = Findings()
        self.log: list[Touch] | None = None  # every access, when asked for
        self.observed = False
        self.atomic_steps = False
        self._reported: set[tuple[int, int, int]] = set()

    def run(self, events: Iterable[Event]) -> Findings:
        for thread, step, event, where in events:
            self.order += 1
            if isinstance(event, Access):
                self._access(thread, step, event, where)
            elif isinstance(event, Sync):
                self._sync(thread, event)
        return self.findings

    # ------------------------------------------------------------------ clocks

    def _clock(self, thread: int) -> Clock:
        clock = self.clocks.get(thread)
        if clock is None:
            clock = self.clocks[thread] = {thread: 1}
        return clock

    def _seen(self, thread: int) -> Mapping[int, int]:
        """The thread's clock as its accesses keep it: copied once per synchronisation,
        not once per access (most accesses come between two synchronisations)."""
        snapshot = self.snapshots.get(thread)
        if snapshot is None:
            snapshot = self.snapshots[thread] = dict(self._clock(thread))
        return snapshot

    def _sync(self, thread: int, sync: Sync) -> None:
        if sync.kind in _UNORDERED:
            return
        clock = self._clock(thread)
        self.snapshots.pop(thread, None)  # its clock may move: the next access copies it
        if sync.kind == "start":
            child = dict(clock)
            child[sync.obj] = 1
            self.clocks[sync.obj] = child
            clock[thread] += 1
        elif sync.kind == "release":
            self.locks[sync.obj] = dict(clock)
            clock[thread] += 1
            self.held.get(thread, {}).pop(sync.obj, None)
        elif sync.kind == "acquire":
            for other, value in self.locks.get(sync.obj, {}).items():
                if clock.get(other, 0) < value:
                    clock[other] = value
            if sync.mutex:
                self._lock_order(thread, sync)
        elif sync.kind == "permit":
            self.permits.setdefault(thread, {})[sync.obj] = sync.capacity
            self.taken[sync.obj] = self.taken.get(sync.obj, 0) + 1
            self.balance[thread, sync.obj] = self.balance.get((thread, sync.obj), 0) + 1
            self._used(thread, sync, "took")
        elif sync.kind == "refused":  # a BoundedSemaphore's release past its limit
            history = tuple(self.uses.get((thread, sync.obj), ()))
            if history:
                self.findings.over_releases.append(
                    OverRelease(thread, sync.capacity, sync.capacity, sync.site, history, True)
                )
        elif sync.kind == "unpermit":
            self.permits.get(thread, {}).pop(sync.obj, None)
            taken = self.taken[sync.obj] = self.taken.get(sync.obj, 0) - 1
            history = tuple(self.uses.get((thread, sync.obj), ()))
            mine = self.balance[thread, sync.obj] = self.balance.get((thread, sync.obj), 0) - 1
            # A thread that takes the semaphore around its work (it took it in this run)
            # and gives back more than it took, past the limit; a semaphore released to
            # signal another thread is not taken by the releaser first.
            if sync.capacity and taken < 0 and mine < 0 and history:
                self.findings.over_releases.append(
                    OverRelease(thread, sync.capacity, sync.capacity - taken, sync.site, history)
                )
            self._used(thread, sync, "released")

    def _used(self, thread: int, sync: Sync, what: str) -> None:
        uses = self.uses.setdefault((thread, sync.obj), [])
        uses.append((what, sync.site))
        del uses[:-4]  # the last few are the story

    def _lock_order(self, thread: int, sync: Sync) -> None:
        held = self.held.setdefault(thread, {})
        gates = frozenset(
            (sem, capacity) for sem, capacity in self.permits.get(thread, {}).items() if capacity
        )
        # A lock made before races saw it is the same object in every run: its id names it.
        taken = sync.made or ("", 0, sync.obj)
        who = self.names[thread] if thread < len(self.names) else f"thread {thread}"
        for lock, (made, site) in held.items():
            if lock != sync.obj:
                add_edge(
                    self.findings.lock_edges,
                    LockEdge(made, taken, thread, site, sync.site, gates, who),
                )
        held[sync.obj] = (taken, sync.site)

    # ------------------------------------------------------------------ accesses

    def _access(self, thread: int, step: int, access: Access, where: Hashable) -> None:
        touch = Touch(
            thread, step, self.order, access, self._clock(thread)[thread], self._seen(thread), where
        )
        if self.log is not None:
            self.log.append(touch)
        location = access.location
        key = (thread, location)
        previous = self.last.get(key)
        self.last[key] = touch
        owner = location.owner
        kind = access.kind
        if (
            previous is not None
            and previous.access.kind.checks
            and kind is not Kind.CAS  # it fails, and is retried, if the value changed
            and (kind.writes or (kind is Kind.ITERATE and previous.access.kind is Kind.ITERATE))
        ):
            # A check, then a write (or a loop that goes on): an unordered write of
            # another thread seen so far may come between.
            for write in self.writes.get(owner, {}).values():
                if write.thread != thread and write.access.location.overlaps(location):
                    self._check(previous, write, touch)
            self.pairs.setdefault(owner, {})[key] = (previous, touch)
        if (
            previous is not None
            and kind is Kind.READ
            and previous.access.kind is Kind.READ
            and is_condition(previous.site)
            and not is_condition(touch.site)
            and _same_code(previous.site, touch.site)
        ):
            # A check, then a use of the same location further on in the same function:
            # an unordered write of another thread may come between, and the use then
            # sees what the check ruled out (`if conn is not None: conn.send()`). Not a
            # write from before the check, which the check may have read (the fast path
            # of double-checked locking sees the value it then returns).
            for write in self.writes.get(owner, {}).values():
                if (
                    write.thread != thread
                    and write.order > previous.order
                    and write.access.location.overlaps(location)
                ):
                    self._check(previous, write, touch)
            self.check_uses.setdefault(owner, {})[key] = (previous, touch)
        if (
            self.observed
            and kind is Kind.UPDATE
            and previous is not None
            and previous.access.kind is Kind.UPDATE
            and _same_code(previous.site, touch.site)
        ):
            # Two updates in a row, a record written in parts (two appends): another
            # thread's write in between tore it, when the run failed for it.
            for write in self.writes.get(owner, {}).values():
                if (
                    write.thread != thread
                    and previous.order < write.order
                    and write.access.location.overlaps(location)
                ):
                    self._check(previous, write, touch)
        if kind.writes:
            # A write: it may come between an earlier check-then-write pair of another thread.
            for pairs in (self.pairs, self.check_uses):
                for (other, pair_location), (first, second) in pairs.get(owner, {}).items():
                    if other != thread and pair_location.overlaps(location):
                        self._check(first, touch, second)
            self.writes.setdefault(owner, {})[key] = touch
            checks = self.checks.pop(key, None)
            if checks:
                # Each check this thread made since its last write, then this write: an
                # unordered write of another thread may come between (`if balance >= x:`
                # a line before `balance -= x`).
                for first, _locks in checks.values():
                    if previous is not None and first is previous:
                        continue  # the pair above
                    for write in self.writes.get(owner, {}).values():
                        if write.thread != thread and write.access.location.overlaps(location):
                            self._check(first, write, touch)
                # The checks this write acts on: those made under every lock it holds (in
                # double-checked locking, the check inside the lock, not the one outside).
                held = self._locks_held(thread)
                decisive = {site: t for site, (t, locks) in checks.items() if held <= locks}
                if decisive:
                    self.acted.setdefault(owner, {})[key] = (decisive, touch)
        elif kind is Kind.READ and is_condition(touch.site):
            # The latest check at a site is the one the act relies on: a `while` that
            # checks again after waiting makes its earlier checks moot.
            self.checks.setdefault(key, {})[touch.site] = (touch, self._locks_held(thread))
            # Another thread made this same check, then wrote: if nothing orders that
            # write with this check, the check could have come first, seen what the other
            # saw, and acted alike (two lazy initialisations, two withdrawals).
            for (other, acted_on), (decided, write) in self.acted.get(owner, {}).items():
                if other != thread and acted_on == location and touch.site in decided:
                    self._check(decided[touch.site], touch, write)

    def _locks_held(self, thread: int) -> frozenset[int]:
        return frozenset(self.held.get(thread, ()))

    def _check(self, first: Touch, remote: Touch, second: Touch) -> None:
        """Report ``remote`` between ``first`` and ``second`` unless an ordering forbids it."""
        if self.atomic_steps and first.step == second.step and first.thread == second.thread:
            return  # one task step: nothing comes in between
        went_through = self.observed and first.order < remote.order < second.order
        if not went_through and (remote.ordered(first) or remote.ordered(second)):
            return
        key = (first.order, remote.order, second.order)
        if key in self._reported:
            return
        self._reported.add(key)
        self.findings.violations.append(
            AtomicityViolation(second.access.location, first, remote, second)
        )


@dataclass(frozen=True)
class OrderViolation:
    """``read`` by one thread came before ``write`` by another that it was meant to follow,
    and nothing ordered them: the read saw the state from before the write."""

    location: Location
    read: Touch
    write: Touch


def order_violation(outcome: Outcome) -> OrderViolation | None:
    """In a failed run that nothing else explains: the last read of a location that
    another thread wrote later, with nothing ordering the two (a timer that checked for a
    cancel before the cancel came; a value used before it was set)."""
    last_reads: dict[Location, dict[int, Touch]] = {}
    found = None
    for touch in touches(outcome):
        location = touch.access.location
        if touch.access.kind.writes:
            for reader, read in last_reads.get(location, {}).items():
                if reader != touch.thread and not read.ordered(touch):
                    found = OrderViolation(location, read, touch)
        if touch.access.kind.reads:
            last_reads.setdefault(location, {})[touch.thread] = touch
    return found


#: Bounds on the cycles enumerated in one lock-order graph.
MAX_CYCLES = 20
MAX_CYCLE_LENGTH = 8


def lock_cycles(edges: Iterable[LockEdge], *, gated: bool = False) -> list[LockCycle]:
    """The elementary cycles of the lock-order graph, each once, smallest lock first: those
    that can close, or (``gated``) those a semaphore keeps from closing."""
    graph: dict[LockClass, list[LockEdge]] = {}
    for edge in edges:
        graph.setdefault(edge.held, []).append(edge)
    found: list[LockCycle] = []
    seen: set[tuple[LockClass, ...]] = set()

    def walk(
        start: LockClass, node: LockClass, path: list[LockEdge], visited: set[LockClass]
    ) -> None:
        if len(found) >= MAX_CYCLES or len(path) >= MAX_CYCLE_LENGTH:
            return  # enough to report; the enumeration is exponential in the worst case
        for edge in graph.get(node, ()):
            if edge.taken == start:
                cycle = [*path, edge]
                if len({(e.who, e.thread) for e in cycle}) < 2 or _gated(cycle) != gated:
                    continue
                key = tuple(sorted(e.held for e in cycle))
                if key not in seen:
                    seen.add(key)
                    found.append(LockCycle(tuple(cycle)))
            elif edge.taken not in visited and edge.taken > start:
                walk(start, edge.taken, [*path, edge], visited | {edge.taken})

    for start in sorted(graph):
        walk(start, start, [], {start})
    return found


_CONDITIONS = ("if ", "elif ", "while ", "assert ")


@functools.cache
def is_condition(site: Hashable) -> bool:
    """Whether an access's instruction is in the condition of a branch (``if balance >=
    amount:``): a check the code acts on, not just a read."""
    if not (isinstance(site, tuple) and len(site) == 2 and isinstance(site[0], CodeType)):
        return False
    code, offset = site
    line = linecache.getline(code.co_filename, INSTRUCTIONS.describe(code, offset)[0]).strip()
    return line.startswith(_CONDITIONS)


def _same_code(a: Hashable, b: Hashable) -> bool:
    """Whether two accesses' instructions are in one function, the second further on."""
    return isinstance(a, tuple) and isinstance(b, tuple) and a[0] is b[0] and a[1] < b[1]


def _gated(cycle: Sequence[LockEdge]) -> bool:
    """Whether a semaphore every edge's thread held lets too few threads in at once for
    all of them to be in the cycle together (a "waiter" that seats one fewer)."""
    common = frozenset.intersection(*(edge.gates for edge in cycle))
    threads = len({edge.thread for edge in cycle})
    return any(capacity < threads for _, capacity in common)
