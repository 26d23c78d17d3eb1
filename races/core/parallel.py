"""``dpor`` on several processes: the search tree split between workers (``workers=N``).

A run of ``dpor`` is fixed by its *path*: the decisions it replays, the choice it makes
at the last one, and that decision's sleep set (see ``strategies.dpor``). Runs on
different paths do not depend on each other, so they can run at once. The coordinator,
in the caller's process, keeps the decisions of every path still being searched as a
tree; each worker, forked from it with the session open, runs one path at a time, reads
the run back (``DPORStrategy._learn``) and sends the decisions it passed, with what it
learned, back. The coordinator merges them into the tree and hands out the deepest
choice left, as one process would take it next.

What the split keeps from the search on one process:

* A decision's choices are handed out one at a time until the first run of the last one
  came back: its step's footprint is what the next choice's sleep set needs, so no trace
  is run twice for want of it.
* A decision is dropped only when no run under it is out and no choice is left there: a
  run still out may add a choice to any decision on its path.
* A failing run is run again in the caller's process, where the report is made (runs
  are deterministic: ``dpor`` already requires it); so is a run whose accesses predict a
  failure.

Choices a run adds to a decision while another choice's subtree is still out are judged
on what is known then, so the count of runs may differ a little from one process's (the
verdict does not: every choice is still taken or known to be covered).
"""

from __future__ import annotations

import heapq
import itertools
import os
import pickle
import select
import signal
import socket
import struct
import sys
import warnings
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from races.core.detect import LockEdge, add_edge, analyse, lock_cycles
from races.core.strategies.base import Chooser, SearchReport
from races.core.strategies.dpor import (
    DPORStrategy,
    Footprint,
    Learned,
    Pending,
    Reversals,
    _DPORChooser,
    _Node,
    read_back,
)
from races.vocabulary.access import WHOLE
from races.vocabulary.errors import InternalError, InvalidArgument
from races.vocabulary.outcome import Outcome


@dataclass(eq=False)
class _Decision:
    """A decision of the tree: the shared part of ``_Node`` (``chosen`` is per path)."""

    node: _Node
    depth: int
    parent: _Decision | None
    children: dict[int, _Decision] = field(default_factory=dict)
    started: set[int] = field(default_factory=set)  # choices handed out here
    waiting: set[int] = field(default_factory=set)  # handed out, first run not back
    out: int = 0  # runs out under it (or through it)
    light: dict[int, _Node] = field(default_factory=dict)  # see ``passing``

    def passing(self, chosen: int) -> _Node:
        """This decision as a path that only passes through it sends it: the choice that
        leads down, and what a run reads of it (which was tried there: that choice,
        whose first run came back before anything under it was handed out)."""
        light = self.light.get(chosen)
        if light is None:
            node = self.node
            light = self.light[chosen] = _Node(
                node.step,
                node.horizon,
                node.enabled,
                chosen,
                node.current,
                node.preemptions,
                {},
                done={chosen: _PASSED},
            )
        return light

    def path(self) -> list[_Decision]:
        here: _Decision | None = self
        found = []
        while here is not None:
            found.append(here)
            here = here.parent
        return found[::-1]

    def next_choice(self, bound: int | None) -> tuple[int | None, int]:
        """The next choice to hand out here, and how many the bound newly left out: as
        one process chooses, counting the choices handed out as tried."""
        return self.node.next_choice(bound, self.started)


#: Paths handed to one worker at a time (see ``ParallelSearch._coordinate``).
AHEAD = 2

#: A path as sent to a worker: each decision with the choice taken there.
Path = list[_Node]


@dataclass
class _Reply:
    """A worker's account of one run."""

    learned: Learned | None  # the steps its decisions chose, where not known yet
    races: Reversals | None  # its races, at the decisions before them
    fresh: Path | None  # the decisions past the path's last, whole
    cut: bool
    failed: bool
    error: bool
    found: bool = False  # its accesses predict a failure on their own
    edges: list[LockEdge] = field(default_factory=list)


class Workers:
    """``count`` forked processes that each run paths of one session."""

    def __init__(
        self, count: int, run: Callable[[Chooser], Outcome], make: Callable[[], DPORStrategy]
    ) -> None:
        self.pids: list[int] = []
        self.channels: list[socket.socket] = []
        sys.stdout.flush()
        sys.stderr.flush()
        for _ in range(count):
            mine, theirs = socket.socketpair()
            with warnings.catch_warnings():
                # 3.12+ warns that a fork of a process with threads may deadlock the
                # child: only this thread runs there, and it takes no lock another held.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's coverage is not collected
                mine.close()
                code = 0
                try:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator stops us
                    _serve(theirs, run, make)
                except BaseException:  # noqa: BLE001 - a child never returns to the caller
                    code = 1
                finally:
                    os._exit(code)
            theirs.close()
            self.pids.append(pid)
            self.channels.append(mine)

    def close(self) -> None:
        for channel in self.channels:
            channel.close()
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self.pids, self.channels = [], []


def _send(channel: socket.socket, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    channel.sendall(struct.pack("!Q", len(data)) + data)


def _receive(channel: socket.socket) -> Any:
    head = _read(channel, 8)
    (size,) = struct.unpack("!Q", head)
    return pickle.loads(_read(channel, size))


def _read(channel: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = channel.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError("the worker process ended")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _serve(
    channel: socket.socket, run: Callable[[Chooser], Outcome], make: Callable[[], DPORStrategy]
) -> None:  # pragma: no cover - runs in the child
    detect: bool = _receive(channel)
    while True:
        try:
            path: Path = _receive(channel)
        except EOFError:
            return
        strategy = make()
        strategy.path = path  # the run appends the decisions past the path's last
        given = len(path)
        try:
            outcome = run(_DPORChooser(strategy))
        except BaseException:  # noqa: BLE001 - the coordinator runs it again to see it
            _send(channel, _Reply(None, None, None, False, False, True))
            continue
        if outcome.failed:
            _send(channel, _Reply(None, None, None, outcome.cut, True, False))
            continue
        learned, races = read_back(path, outcome)
        learned = [(i, thread, _portable_step(step)) for i, thread, step in learned]
        reply = _Reply(learned, races, _portable(path[given:]), outcome.cut, False, False)
        if detect and outcome.events:
            found = analyse(outcome)
            reply.found = bool(found)
            reply.edges = list(found.lock_edges.values())
        _send(channel, reply)


def _portable(path: Path) -> Path:
    """The path with every location key that cannot be pickled (an object used as a dict
    key) replaced by a name no other run's key equals: runs in another process never
    share such a key anyway."""

    for node in path:
        node.sleep = _portable_pending(node.sleep)
    return path


def _portable_pending(pending: dict[int, Pending]) -> dict[int, Pending]:
    return {t: _portable_step(p) for t, p in pending.items()}


def _portable_step(pending: Pending) -> Pending:
    return (_portable_footprint(pending[0]), pending[1])


#: Keys of these types pickle, and equal keys stay equal in another process.
_PLAIN = frozenset({str, int, float, bytes, bool, type(None), type(WHOLE)})


def _portable_key(k: Hashable) -> Hashable:
    if type(k) in _PLAIN:
        return k
    try:
        pickle.dumps(k)
    except Exception:  # noqa: BLE001 - any object may refuse
        return ("unportable", type(k).__qualname__, id(k))
    return k


def _portable_footprint(f: Footprint) -> Footprint:
    keys = f.reads | f.writes
    if all(type(k) in _PLAIN for _, k in keys):
        return f
    f.reads = {(o, _portable_key(k)) for o, k in f.reads}
    f.writes = {(o, _portable_key(k)) for o, k in f.writes}
    return f


class ParallelSearch:
    """The coordinator: the tree of decisions, and the workers running its paths."""

    def __init__(
        self,
        strategy: DPORStrategy,
        run: Callable[[Chooser], Outcome],
        workers: int,
        *,
        detect: bool = False,
        predicted: Callable[[Outcome, int, bool, list[LockEdge]], None] | None = None,
    ) -> None:
        if workers < 1:
            raise InvalidArgument(f"workers must be at least 1, not {workers}")
        self.strategy = strategy
        self.run = run
        self.count = workers
        self.detect = detect
        self.predicted = predicted
        self.ready: list[tuple[int, int, _Decision]] = []  # (-depth, serial, decision)
        self.serial = 0
        self.edges: dict[Any, LockEdge] = {}
        self.told = False  # a prediction was handed to ``predicted``
        self.runs = 0

    def _make(self) -> DPORStrategy:
        return DPORStrategy(self.strategy.preemption_bound, self.strategy.step_bound)

    def search(self, budget: int) -> SearchReport:
        workers = Workers(self.count, self.run, self._make)
        try:
            for channel in workers.channels:
                _send(channel, self.detect)
            return self._coordinate(workers, budget)
        finally:
            workers.close()

    def _coordinate(self, workers: Workers, budget: int) -> SearchReport:
        strategy = self.strategy
        schedules = 0
        Work = tuple[_Decision | None, int | None, Path]
        # Each worker holds up to ``AHEAD`` paths: the next is in its socket when it ends
        # a run, instead of it waiting for this process to read the run back.
        queued: dict[socket.socket, deque[Work]] = {c: deque() for c in workers.channels}
        first: Path = []  # the first run: the root's path, empty
        pending: list[Work] = [(None, None, first)]
        while True:
            out = sum(len(q) for q in queued.values())
            for channel in sorted(queued, key=lambda c: len(queued[c])):
                if len(queued[channel]) >= AHEAD or schedules + strategy.cut + out >= budget:
                    continue
                work = pending.pop() if pending else self._take()
                if work is None:
                    break
                queued[channel].append(work)
                out += 1
                _send(channel, work[2])
            if not out:
                return SearchReport(None, schedules, exhausted=self._over(pending))
            channel = self._wait({c: q for c, q in queued.items() if q})
            decision, choice, path = queued[channel].popleft()
            try:
                reply: _Reply = _receive(channel)
            except (EOFError, OSError) as exc:
                raise InternalError("a worker process of the parallel search", exc) from exc
            if reply.error or reply.failed:
                # Run it here: the failure (or races' own error) as the report shows it.
                outcome = self._replay(path)
                if reply.failed and outcome.failed:
                    return SearchReport(outcome, schedules + 1)
                raise InternalError(
                    "a worker process of the parallel search",
                    RuntimeError(
                        "a run failed in a worker but not when run again here: the "
                        "scenario is not deterministic"
                    ),
                )
            if reply.cut:
                strategy.cut += 1
            else:
                schedules += 1
            self.runs += 1
            assert reply.learned is not None and reply.races is not None
            assert reply.fresh is not None
            self._merge(decision, choice, reply)
            self._note(reply, path)

    def _wait(self, busy: dict[socket.socket, Any]) -> socket.socket:
        ready, _, _ = select.select(list(busy), [], [])
        return ready[0]

    def _replay(self, path: Path) -> Outcome:
        strategy = self._make()
        strategy.path = [replace(n, sleep=dict(n.sleep), done=dict(n.done)) for n in path]
        return self.run(_DPORChooser(strategy))

    def _over(self, pending: list[Any]) -> bool:
        return not pending and self._take(peek=True) is None

    def _merge(self, decision: _Decision | None, choice: int | None, reply: _Reply) -> None:
        """Fold one run into the tree: the new decisions past its path's last (a chain),
        then what the run taught the decisions of its whole path."""
        along = decision.path() if decision is not None else []
        for here in along:
            here.out -= 1
        if decision is not None and choice is not None:
            decision.waiting.discard(choice)
        parent, chosen = decision, choice
        made: list[_Decision] = []
        for node in reply.fresh or ():
            fresh = _Decision(node, parent.depth + 1 if parent is not None else 0, parent)
            fresh.started.add(node.chosen)
            if parent is not None:
                assert chosen is not None
                parent.children[chosen] = fresh
            parent, chosen = fresh, node.chosen
            made.append(fresh)
        path = along + made
        self.strategy.apply([d.node for d in path], reply.learned or [], reply.races or [])
        changed = {index for index, _ in reply.races or ()}
        if decision is not None:
            changed.add(len(along) - 1)  # its choice's first run is back
        for index in sorted(changed) + list(range(len(along), len(path))):
            self.serial += 1
            heapq.heappush(self.ready, (-path[index].depth, self.serial, path[index]))
        for here in reversed(path):
            if not self._prune(here):
                break

    def _prune(self, here: _Decision) -> bool:
        """Drop a decision nothing can change any more: no run out under it, nothing left
        to choose there, and no child kept. Whether it was dropped."""
        if here.out or here.waiting or here.children or here.parent is None:
            return False
        if self._choice(here) is not None:
            return False
        for thread, child in list(here.parent.children.items()):
            if child is here:
                del here.parent.children[thread]
        return True

    def _choice(self, here: _Decision) -> int | None:
        choice, skipped = here.next_choice(self.strategy.preemption_bound)
        self.strategy.left_out += skipped
        return choice

    def _take(self, peek: bool = False) -> tuple[_Decision, int, Path] | None:
        """The deepest decision with a choice to hand out now, and its path."""
        while self.ready:
            _, _, here = self.ready[0]
            if here.waiting:
                heapq.heappop(self.ready)  # back in the heap when its first run returns
                continue
            choice = self._choice(here)
            if choice is None:
                heapq.heappop(self.ready)
                continue
            if peek:
                return here, choice, []
            here.started.add(choice)
            here.waiting.add(choice)
            along = here.path()
            for d in along:
                d.out += 1
            # Each decision with the choice that leads to the next one down; the last
            # with the new choice.
            chosen = [_choice_to(d, below) for d, below in itertools.pairwise(along)]
            path = [d.passing(c) for d, c in zip(along[:-1], chosen, strict=True)]
            path.append(
                replace(
                    here.node,
                    chosen=choice,
                    sleep=dict(here.node.sleep),
                    done=dict(here.node.done),
                    backtrack=set(here.node.backtrack),
                    beyond=set(),
                )
            )
            return here, choice, path
        return None

    def _note(self, reply: _Reply, path: Path) -> None:
        """What a run's accesses predict, as the watcher of one process notes it."""
        if not self.detect or self.told or self.predicted is None:
            return
        before = len(self.edges)
        for edge in reply.edges:
            add_edge(self.edges, edge)
        closes = len(self.edges) > before and bool(lock_cycles(self.edges.values()))
        if reply.found or closes:
            self.told = True
            self.predicted(self._replay(path), self.runs, reply.found, list(self.edges.values()))


#: What stands for the step a decision above the one a path revisits chose: a run
#: replays those choices, and reads only which thread was tried there.
_PASSED: Pending = (Footprint(), 0)


def _choice_to(parent: _Decision, child: _Decision) -> int:
    for thread, kid in parent.children.items():
        if kid is child:
            return thread
    raise AssertionError("a decision not under its parent")
