"""Switch points only where runs have seen them matter: what a sampling search skips.

Library-sized code runs tens of thousands of instructions that touch objects each thread
makes for itself (a parser's state, its tokens, a request's headers). Switching before
each of them costs a trace hook's call and finds nothing: the other threads never see
those objects. A *sampling* search (random, PCT, Hypothesis) claims no proof, so it may
learn from its runs where switching can matter and skip the rest:

- a code location (code object, instruction offset) is *loud* once a run saw it touch a
  location that another thread also touched, with a write among them, make a step races
  cannot see into (opaque), or come just before a synchronisation (a lock taken or given
  back, a thread started: another thread may get there first);
- it is *quiet* once a run has seen it and it is not loud. Quiet locations are no switch
  points, and their accesses are not recorded, in the runs that follow.

The first run sees everything; each later one only what is still loud or new. A location
quiet in the runs so far might touch shared data in another order of them: the search
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
        by_owner: dict[Any, list[tuple[int, bool, tuple[int, int]]]] = {}
        trace = outcome.trace
        seen, loud = self._seen, self._loud
        seen.update({(id(entry[2]), entry[3]) for entry in trace if entry[1] == _INSTRUCTION})
        for unit, step, event, where in outcome.events:
            if isinstance(event, Sync):
                # A lock taken or given back, a thread started: the switch point before
                # it is where another thread can come first.
                before = trace[step] if 0 <= step < len(trace) else None
                if before is not None and before[1] == _INSTRUCTION:
                    loud.add((id(before[2]), before[3]))
                continue
            if where is None:
                continue
            location = (id(where[0]), where[1])
            seen.add(location)
            if isinstance(event, Access):
                owner: Any = event.location.owner
                writes = event.kind.writes
            else:  # a step races cannot see into: it may touch what any other thread does
                owner, writes = location, True
            by_owner.setdefault(owner, []).append((unit, writes, location))
        for touches in by_owner.values():
            if len({unit for unit, _, _ in touches}) > 1 and any(w for _, w, _ in touches):
                self._loud.update(location for _, _, location in touches)
        if (len(self._seen), len(self._loud)) != known:
            quiet: dict[int, set[int]] = {}
            for code, offset in self._seen - self._loud:
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
