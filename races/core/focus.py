"""Switch points only where runs have seen them matter: what a sampling search skips.

Library-sized code runs tens of thousands of instructions that touch objects each thread
makes for itself (a parser's state, its tokens, a request's headers). Switching before
each of them costs a trace hook's call and finds nothing: the other threads never see
those objects. A *sampling* search (random, PCT, Hypothesis) claims no proof, so it may
learn from its runs where switching can matter and skip the rest:

- a code location (code object, instruction offset) is *loud* once a run saw it come
  just before a lock is taken (another thread may take it first), make a step races
  cannot see into (opaque) that another thread also made there, or touch a location that
  another thread also touched, with a write among them, where another interleaving could
  put the two side by side: not under one lock both threads held, and not ordered by
  anything but the order locks were taken in (``_Order``). Accesses a library makes
  under its own lock are quiet: the switch point before the lock is where the order of
  two threads can change;
- it is *quiet* once a run has seen it and it is not loud. Quiet locations are no switch
  points, and their accesses are not recorded, in the runs that follow. A location in a
  branch no run has reached (an error path, a case the input never takes) counts as seen
  as soon as a run has switched in its code object: code that has run and never touched
  shared state there is skipped, as code that touched only its own objects is. Left
  loud, it would keep its whole function traced: under ``settrace`` (3.11) every line a
  traced function runs is a call of the hook, and a Markdown renderer's later runs were
  6,000 line events in functions kept for the ``raise`` of their error paths.

The first run sees everything it runs; each later one only what is still loud. A location
quiet in the runs so far might touch shared data in another order of them, and a branch
first reached in a later run is neither switched in nor recorded there: the search
would then miss an order there, never report a false failure, and it claims nothing for
what it did not try. Exhaustive strategies (``dfs``, ``dpor``) never focus: what they
prove is proved at every switch point.

A run's steps are counted among the locations it did not skip, so its schedule names
steps of that focus. ``Focus.snapshot`` is what each run used; a failing run is run once
more without focus, its decisions made at the same focused steps (``Execution.hidden``),
which gives its schedule in plain steps, the ones ``races.replay`` counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import CodeType, MappingProxyType
from typing import Any, Protocol, runtime_checkable

from races.core.access import ACCESSES
from races.core.instructions import INSTRUCTIONS
from races.vocabulary.access import Access, Sync
from races.vocabulary.kinds import StepKind
from races.vocabulary.outcome import Outcome

#: The quiet offsets of each code object, by ``id(code)`` (``races.core.codekeys``).
Quiet = Mapping[int, frozenset[int]]

#: What an unfocused run skips: nothing (one object, so that "the same as before" is
#: one identity check).
NOTHING_QUIET: Quiet = MappingProxyType({})


#: The steps a search's first run must take for the search to focus. A small run (a
#: lesson, most unit tests' scenarios) keeps every switch point: they cost little there,
#: and a search over all of them finds a race in fewer runs. Focus pays where runs are
#: library-sized. The catalogue's threaded lessons take 20 to 92 steps in their first
#: run; two threads sharing a memoising cache take about 450, a pooled memcached client
#: about 1,100 (and 140 once focused), a Markdown renderer about 18,700.
MIN_STEPS = 200

_INSTRUCTION = StepKind.INSTRUCTION

#: Synchronisations whose order with other threads' depends on the interleaving: taking a
#: lock (or trying to), a semaphore's permit. Giving one back, starting a thread, making a
#: lock commute with whatever another thread does before the next switch point: another
#: thread running just before them is the same run as it running just after.
_CONTENDED = frozenset({"acquire", "try", "permit"})


class Focus:
    """What the runs of one search have learned: the quiet locations, as they grow."""

    def __init__(self, min_steps: int = MIN_STEPS) -> None:
        self.min_steps = min_steps
        self.runs = 0
        self._off = False  # the first run was small: this search keeps every switch point
        # Locations are (id(code), offset): every code object a run's steps and accesses
        # name was looked up by the code filter first, which keeps it (``codekeys``).
        self._loud: set[tuple[int, int]] = set()
        self._seen: set[tuple[int, int]] = set()
        self._codes: set[int] = set()  # the code objects a run has switched in, by id
        #: The quiet offsets of each code object (by id) now: replaced, never changed,
        #: when a run teaches more, so a run's snapshot stays what that run used.
        self.snapshot: dict[int, frozenset[int]] = {}

    def learn(self, outcome: Outcome) -> None:
        """Take in what ``outcome``'s run saw (it ran with the current snapshot)."""
        self.runs += 1
        if self.runs == 1 and outcome.steps < self.min_steps:
            self._off = True
        if self._off:
            return
        known = (len(self._seen), len(self._loud))
        trace = outcome.trace
        seen, loud = self._seen, self._loud
        steps = [(entry[2], entry[3]) for entry in trace if entry[1] == _INSTRUCTION]
        seen.update({(id(code), offset) for code, offset in steps})
        for key, code in {id(code): code for code, _ in steps}.items():
            if key not in self._codes:
                # What this run did not reach in it, no run has: seen, and quiet.
                self._codes.add(key)
                seen.update((key, offset) for offset in _locations(code))
        order = _Order()
        by_owner: dict[Any, dict[_Segment, _Touches]] = {}
        opaque: dict[tuple[int, int], set[int]] = {}
        for unit, step, event, where in outcome.events:
            if isinstance(event, Sync):
                if event.kind in _CONTENDED:
                    # The switch point before a lock is taken is where another thread
                    # can take it first.
                    before = trace[step] if 0 <= step < len(trace) else None
                    if before is not None and before[1] == _INSTRUCTION:
                        loud.add((id(before[2]), before[3]))
                order.sync(unit, event)
                continue
            if where is None:
                continue
            location = (id(where[0]), where[1])
            seen.add(location)
            if isinstance(event, Access):
                segment = order.segment(unit)
                touches = by_owner.setdefault(event.location.owner, {}).get(segment)
                if touches is None:
                    touches = by_owner[event.location.owner][segment] = _Touches()
                touches.wrote = touches.wrote or event.kind.writes
                touches.locations.add(location)
            else:  # a step races cannot see into: it may touch what any other thread does
                opaque.setdefault(location, set()).add(unit)
        for location, units in opaque.items():
            if len(units) > 1:
                loud.add(location)
        for segments in by_owner.values():
            if len(segments) > 1:
                _conflicts(segments, loud)
        if (len(seen), len(loud)) != known:
            quiet: dict[int, set[int]] = {}
            for code, offset in seen - loud:
                quiet.setdefault(code, set()).add(offset)
            self.snapshot = {code: frozenset(offsets) for code, offsets in quiet.items()}

    def quiet(self, code: CodeType, offset: int) -> bool:
        offsets = self.snapshot.get(id(code))
        return offsets is not None and offset in offsets


@runtime_checkable
class Focusing(Protocol):
    """A runtime whose runs can focus (the threads runtime's instruction switch points)."""

    focus: Focus | None

    def translate(self, outcome: Outcome) -> Outcome:
        """A focused run made again without focus: its schedule in every step."""
        ...


def _locations(code: CodeType) -> frozenset[int]:
    """``code``'s switch points and the instructions whose accesses races reads."""
    return INSTRUCTIONS.switch_offsets(code) | ACCESSES.probes(code).keys()


class _Touches:
    """One segment's accesses of one object: where they were made, and whether one wrote."""

    __slots__ = ("locations", "wrote")

    def __init__(self) -> None:
        self.wrote = False
        self.locations: set[tuple[int, int]] = set()


class _Segment:
    """What a stretch of one thread's accesses share: the locks it held, its own clock
    (with its thread, its epoch) and what it knew of the others' clocks then. A stretch
    ends when its thread takes or gives back a lock, or its clock moves."""

    __slots__ = ("epoch", "knew", "locks", "unit")

    def __init__(self, unit: int, epoch: int, knew: dict[int, int], locks: frozenset[int]):
        self.unit = unit
        self.epoch = epoch
        self.knew = knew
        self.locks = locks

    def may_meet(self, other: _Segment) -> bool:
        """Whether another interleaving could put the two side by side: different threads,
        no lock held by both, neither ordered before the other."""
        return (
            self.unit != other.unit
            and self.locks.isdisjoint(other.locks)
            and self.epoch > other.knew.get(self.unit, 0)
            and other.epoch > self.knew.get(other.unit, 0)
        )


class _Order:
    """What orders one run's accesses in every interleaving, as ``learn`` reads its log.

    Two kinds of synchronisation, apart: a *mutex* the program takes (``Sync.mutex``) keeps
    the accesses made under it from meeting those another thread makes under it, in any
    order the two take it, so it counts as a lock held (the lockset of Eraser, Savage et
    al., 1997); everything else (a thread started, the lock a ``join`` or a condition's
    ``wait`` waits on) orders what comes before it with what comes after, as vector
    clocks do in ``races.core.detect``. The hybrid of the two is O'Callahan and Choi's
    (PPoPP 2003). The order a mutex happened to be taken in this run is not counted: in
    another run it is the other way round.
    """

    def __init__(self) -> None:
        self.clocks: dict[int, dict[int, int]] = {}
        self.held: dict[int, set[int]] = {}
        self.mutexes: set[int] = set()  # a lock a program took as a mutex stays one
        self.released: dict[int, dict[int, int]] = {}  # a lock's clock at its release
        self.segments: dict[int, _Segment] = {}  # each thread's current one
        # Each thread's segments so far, by the locks it held, while its clock stands still:
        # a thread that takes one mutex around each access keeps two segments, not one each.
        self.stretches: dict[tuple[int, frozenset[int]], _Segment] = {}

    def clock(self, unit: int) -> dict[int, int]:
        clock = self.clocks.get(unit)
        if clock is None:
            clock = self.clocks[unit] = {unit: 1}
        return clock

    def sync(self, unit: int, sync: Sync) -> None:
        kind, obj = sync.kind, sync.obj
        if kind == "acquire":
            if sync.mutex or obj in self.mutexes:
                self.mutexes.add(obj)
                self.held.setdefault(unit, set()).add(obj)
            else:
                clock = self.clock(unit)
                for other, value in self.released.get(obj, {}).items():
                    if clock.get(other, 0) < value:
                        clock[other] = value
                self._moved(unit)
        elif kind == "release":
            if obj in self.mutexes:
                # Given back, by its holder or (a Lock may be) by another thread.
                for held in self.held.values():
                    held.discard(obj)
                self.segments.clear()
            else:
                clock = self.clock(unit)
                self.released[obj] = dict(clock)
                clock[unit] += 1
                self._moved(unit)
        elif kind == "start":
            clock = self.clock(unit)
            child = dict(clock)
            child[obj] = 1
            self.clocks[obj] = child
            clock[unit] += 1
            self._moved(unit)
        else:
            return
        self.segments.pop(unit, None)

    def _moved(self, unit: int) -> None:
        """``unit``'s clock has changed: its segments from here on are new ones."""
        for key in [key for key in self.stretches if key[0] == unit]:
            del self.stretches[key]

    def segment(self, unit: int) -> _Segment:
        segment = self.segments.get(unit)
        if segment is None:
            locks = frozenset(self.held.get(unit, ()))
            segment = self.stretches.get((unit, locks))
            if segment is None:
                clock = self.clock(unit)
                segment = _Segment(unit, clock[unit], dict(clock), locks)
                self.stretches[unit, locks] = segment
            self.segments[unit] = segment
        return segment


def _conflicts(segments: dict[_Segment, _Touches], loud: set[tuple[int, int]]) -> None:
    """Make loud the locations of one object's accesses that another interleaving could
    put beside another thread's, one of the two a write."""
    items = list(segments.items())
    for i, (first, touches) in enumerate(items):
        for second, others in items[i + 1 :]:
            if (touches.wrote or others.wrote) and first.may_meet(second):
                loud.update(touches.locations)
                loud.update(others.locations)
