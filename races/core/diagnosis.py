"""Why a run ended badly, said the same way for threads, tasks and greenlets.

When no thread (task, greenlet) can run, each runtime describes each of them as a
``Waiter``: what it waits in, where, for what, and who holds that. The wait-for graph
("waiter -> holder") then tells a *deadlock* (a cycle) from *stuck* units (each waits for a
wake-up that nobody left can give). The other ends a run can come to are said here too:
work still pending when the program would exit, an exception nobody saw, and a run that
never finishes.
"""

from __future__ import annotations

import linecache
import os
import sysconfig
import traceback
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from races.core.sites import is_races_internal
from races.vocabulary.kinds import FailureKind
from races.vocabulary.outcome import Failure, describe

Site = tuple[str, int]


@dataclass(eq=False)
class Waiter:
    """One thread, task or greenlet that cannot run, as a report shows it."""

    name: str
    waits_in: str = ""  # the operation: "Lock.acquire", "Queue.join"; "" when unknown
    site: Site | None = None  # where it waits, in the code under test
    place: str = ""  # instead of a site: "its start (it never ran)"
    waits_for: str = ""  # what it waits for, named: "lock_b (Lock)"
    holder: Waiter | None = None  # who holds what it waits for
    joining: bool = False  # it waits for ``holder`` to finish
    for_itself: bool = False  # it waits for a wake-up (a notify, a put) after releasing a lock
    holds: list[tuple[str, Site | None]] = field(default_factory=list)  # (what, acquired at)
    started: bool = True  # False: created, and never ran a line
    holder_site: Site | None = None  # where the holder took what this one waits for

    def where(self, source: bool = True) -> str:
        """'file:line' (with the source line when ``source``), or what stands for it."""
        if self.site is None:
            return self.place or "an unknown place"
        return show_site(self.site, source)

    def lines(self) -> str:
        """What it holds and what it waits for, as report lines."""
        waits = f"waits in {self.waits_in}" if self.waits_in else "waits"
        if self.joining and self.holder is not None:
            waits += f" for {self.holder.name} to finish"
        elif self.for_itself:
            waits += " for a notify/put/set that no running thread can make"
        else:
            if self.waits_for:
                waits += f" for {self.waits_for}"
            if self.holder is not None:
                waits += f" (held by {self.holder.name})"
        waits += f", at {self.where()}"
        if not self.holds:
            return f"  {self.name} {waits}"
        held = [f"    holds {what} (acquired at {_show(site)})" for what, site in self.holds]
        return "\n".join([f"  {self.name}", *held, f"    {waits}"])


def show_site(site: Site, source: bool = True) -> str:
    text = f"{site[0]}:{site[1]}"
    line = linecache.getline(site[0], site[1]).strip() if source else ""
    return f"{text}  `{line}`" if line else text


def _show(site: Site | None) -> str:
    return show_site(site) if site is not None else "an unknown place"


Node = TypeVar("Node", bound=Hashable)


def find_cycle(edges: Mapping[Node, Node], order: Sequence[Node] = ()) -> list[Node]:
    """A cycle of the graph (each node has at most one successor), starting from the node
    that comes first in ``order``; [] if there is none."""
    rank = {node: i for i, node in enumerate(order)}
    for start in edges:
        seen: list[Node] = []
        node = start
        while node in edges and node not in seen:
            seen.append(node)
            node = edges[node]
        if node in seen:
            cycle = seen[seen.index(node) :]
            first = min(cycle, key=lambda n: rank.get(n, len(rank)))
            i = cycle.index(first)
            return cycle[i:] + cycle[:i]
    return []


def deadlock(cycle: Sequence[Waiter], units: str) -> Failure:
    """Each waiter of ``cycle`` waits for what the next one holds."""
    names = " -> ".join(w.name for w in [*cycle, cycle[0]])
    steps = [
        (f"{w.name} waits for " if i == 0 else "waits for ")
        + (
            f"{w.holder.name if w.holder is not None else '?'} to finish"
            if w.joining
            else (f"{w.waits_for} held by " if w.waits_for else "")
            + (w.holder.name if w.holder is not None else "?")
        )
        for i, w in enumerate(cycle)
    ]
    return Failure(
        FailureKind.DEADLOCK,
        f"deadlock: {names}: {', which '.join(steps)}",
        report=f"Deadlock: these {units} wait for each other in a cycle:\n"
        + "\n".join(w.lines() for w in cycle),
        pattern="deadlock cycle",
        cycle=tuple((w.name, _waits(w)) for w in cycle),
    )


def _waits(waiter: Waiter) -> str:
    """What a waiter of a cycle waits for, in a few words (an edge of the wait-for graph)."""
    if waiter.joining:
        return "joins"
    return f"waits for {waiter.waits_for}" if waiter.waits_for else "waits"


def self_deadlock(waiter: Waiter, hint: str) -> Failure:
    return Failure(
        FailureKind.DEADLOCK,
        f"self-deadlock: {waiter.name} acquires {waiter.waits_for}, which it already holds",
        report=f"Self-deadlock:\n{waiter.lines()}\nHint: {hint}",
        pattern="self-deadlock",
        cycle=((waiter.name, f"acquires {waiter.waits_for} again"),),
    )


def stuck(
    waiters: Sequence[Waiter],
    first: Waiter,
    units: str,
    note: str = "",
    exc: BaseException | None = None,
) -> Failure:
    """Every waiter waits, and none can wake another; ``first`` is the one to name."""
    waits = f"waits in {first.waits_in}" if first.waits_in else "waits"
    return Failure(
        FailureKind.STUCK,
        f"stuck: {first.name} {waits} at {first.where(source=False)} and nothing can wake it{note}",
        exc,
        report=f"Stuck: every {units[:-1]} waits, and none of them can wake another:\n"
        + "\n".join(w.lines() for w in waiters),
        pattern="missed signal",
    )


def leaked_lock(waiter: Waiter, ended: str) -> Failure:
    """``waiter`` waits for a lock that ``ended``, a finished unit, took and never released."""
    taken = f", taken at {_show(waiter.holder_site)}" if waiter.holder_site else ""
    return Failure(
        FailureKind.STUCK,
        f"stuck: {ended} ended holding {waiter.waits_for}, and {waiter.name} waits for it "
        f"at {waiter.where(source=False)}",
        report=f"Resource leak: {ended} ended holding {waiter.waits_for}{taken}, and nothing "
        f"will release it:\n{waiter.lines()}\nRelease it on every path out of the code that "
        "takes it: a `with` block, or `try`/`finally`.",
        pattern="resource leak",
    )


def leaked_work(
    waiters: Sequence[Waiter],
    first: Waiter,
    left: Sequence[tuple[str, Sequence[Any]]],
    ended: Sequence[str],
    units: str,
) -> Failure:
    """Work is left in queues (``left``: each one's name and items) that no unit will take:
    the ones that took from them (among ``ended``) are gone, and the rest wait."""
    gone = ", ".join(ended[:-1]) + f" and {ended[-1]}" if len(ended) > 1 else ended[0]
    have = "have" if len(ended) > 1 else "has"
    waits = f"waits in {first.waits_in}" if first.waits_in else "waits"
    held = [f"{name} still holds {_items(items)}" for name, items in left]
    return Failure(
        FailureKind.STUCK,
        f"stuck: {gone} {have} ended and {held[0]} that no {units[:-1]} will take; "
        f"{first.name} {waits} at {first.where(source=False)}",
        report=f"Resource leak: {gone} took work from a queue and {have} ended; every other "
        f"{units[:-1]} waits, and work is left that none of them will take:\n"
        + "\n".join(f"  {line}" for line in held)
        + "\n"
        + "\n".join(w.lines() for w in waiters),
        pattern="resource leak",
    )


def _items(items: Sequence[Any]) -> str:
    shown = ", ".join(repr(item) for item in items[:3]) + (", ..." if len(items) > 3 else "")
    return f"{len(items)} item{'s' if len(items) != 1 else ''} ({shown})"


def lost_work(pending: Sequence[Waiter], when: str, so: str, was: str = "was waiting") -> Failure:
    """Units still unfinished when the program would end (``when``); ``so`` says what then,
    of one unit: it is made plural for several. Every unit is listed, with where it was."""
    names = ", ".join(w.name for w in pending)
    if len(pending) > 1:
        so = so.replace(" it,", " them,").replace(" its work", " their work")
    how = "\n".join(
        f"  {w.name} had not started: {w.place}"
        if not w.started
        else f"  {w.name} {was} in {w.waits_in}, at {w.where()}"
        if w.waits_in
        else f"  {w.name} {was} at {w.where()}"
        for w in pending
    )
    return Failure(
        FailureKind.LOST_WORK, f"{names} still {when}: {so}", report=how, pattern="lost work"
    )


def unretrieved_future(failed: Sequence[tuple[Any, str]]) -> Failure | None:
    """The first of the failed futures (each with the name of the unit that ran it) whose
    exception nobody asked for: a lost error."""
    for future, name in failed:
        if not getattr(future, "_races_retrieved", False):
            return lost_exception(
                future._exception,
                name,
                "never retrieved: nobody called result() or exception() on its future",
                pattern="lost error",
            )
    return None


def lost_exception(exc: BaseException, name: str, why: str, pattern: str = "lost error") -> Failure:
    """An exception that ended a unit, which nobody saw (``why`` says why not)."""
    frames = traceback.extract_tb(exc.__traceback__)
    # Where the program raised it: the innermost frame of its own code, not the standard
    # library's or races' (a BoundedSemaphore's release raises inside threading.py).
    own = [f for f in frames if not _library_file(f.filename)] or frames
    raised = f" at {show_site((own[-1].filename, own[-1].lineno or 0))}" if own else ""
    return Failure(
        FailureKind.THREAD_EXCEPTION,
        f"{describe(exc)} (in {name}; {why})",
        exc,
        name,
        report=f"{pattern.capitalize()}: {name} raised {describe(exc)}{raised}; "
        f"no caller heard of it: {why}",
        pattern=pattern,
    )


def blocked_loop(failure: Failure, blocks: Sequence[tuple[str, float, Site | None]]) -> Failure:
    """A run that failed after a blocking call held an asyncio event loop's thread: while
    it blocked, no other task of that loop ran and no timer fired."""
    lines = [
        f"  {name}: time.sleep({secs:g}) held the loop for {secs:g} s, at {_show(site)}"
        for name, secs, site in blocks
    ]
    report = (
        "Blocked event loop: a blocking call ran inside a running asyncio event loop; "
        "while it blocked, no other task ran and no timer or deadline was served:\n"
        + "\n".join(lines)
    )
    if failure.report:
        report += "\n\n" + failure.report
    return replace(failure, report=report, pattern="blocked event loop")


def step_limit(max_steps: int, steps: str = "steps", causes: str = "") -> Failure:
    return Failure(
        FailureKind.STEP_LIMIT,
        f"the scenario did not finish within max_steps={max_steps} {steps}; it may loop "
        f"forever{causes}, or it needs a larger max_steps",
    )


_STDLIB = tuple(
    {sysconfig.get_paths()["stdlib"], os.path.realpath(sysconfig.get_paths()["stdlib"])}
)


def _library_file(filename: str) -> bool:
    return filename.startswith(_STDLIB) or is_races_internal(filename)
