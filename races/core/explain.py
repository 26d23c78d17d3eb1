"""Reports that lead with the cause: the named pattern, the conflicting accesses, and a
focused interleaving of the steps that carry them.

A failure found by the scheduler says *that* something went wrong; the access log of the
failing run says *why*. ``explain`` looks for the atomicity violation the run actually
went through (another thread's write between one thread's read and its write back) and
tells it in the order it happened:

    Lost update: Thread-1 read `counter` (bank.py:8), Thread-2 wrote `counter`
    (bank.py:9), Thread-1 wrote `counter` (bank.py:9): Thread-2's update is lost

then shows only those steps, each tagged with what it touched, the steps between them
folded ("... 12 steps of Thread-1"). A prediction from a run that passed is told as what
can happen, with the edge that is missing.
"""

from __future__ import annotations

import linecache
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from types import CodeType
from typing import Any

from races.core.detect import (
    AtomicityViolation,
    Findings,
    LockCycle,
    OrderViolation,
    OverRelease,
    Touch,
    analyse,
    is_condition,
    lock_cycles,
    order_violation,
    touches,
)
from races.core.instructions import INSTRUCTIONS
from races.core.sites import short_path
from races.core.trace import Step, Trace, build_trace
from races.vocabulary.access import Access, Location, Sync
from races.vocabulary.kinds import FailureKind
from races.vocabulary.outcome import Failure, Outcome

#: At most this many lines of focused interleaving (folds included).
FOCUS_LINES = 15
#: Prose is wrapped to this width; source lines never are.
WIDTH = 100


@dataclass(frozen=True)
class Conflict:
    """One of the accesses a cause names: the step of the trace that made it
    (``Step.index``), what it did (``read count``), and the line that did it."""

    step: int
    access: str
    where: tuple[str, int] | None = None


@dataclass(frozen=True)
class Cause:
    """What a report leads with: the pattern's name, and the story in a few lines."""

    pattern: str
    headline: str
    focus: str
    summary: str = ""  # one line, for a failure's message
    #: The conflicting accesses, in the order they happened (none for a lock cycle).
    conflicts: tuple[Conflict, ...] = ()


def pattern_of(violation: AtomicityViolation) -> str:
    """The name of the pattern: what people call this bug."""
    if violation.iteration:
        return "changed during iteration"
    if violation.torn:
        return "torn write"
    if violation.used_stale:
        return "stale read"
    if violation.stale or is_condition(violation.first.site):
        return "check-then-act"
    return "lost update"


def explain_violation(violation: AtomicityViolation, outcome: Outcome, trace: Trace) -> Cause:
    names = outcome.thread_names
    first, remote, second = violation.first, violation.remote, violation.second
    mine, theirs = names[first.thread], names[remote.thread]
    where = f"`{violation.location.name}`"
    pattern = pattern_of(violation)
    title = pattern[0].upper() + pattern[1:]

    at = _at

    if violation.torn:
        story = (
            f"{mine} updated {where}{at(first)}, {theirs} updated {where}{at(remote)}, "
            f"{mine} updated {where} again{at(second)}: what {mine} wrote in two parts, "
            f"meant as one, has {theirs}'s write in the middle"
        )
    elif violation.iteration:
        story = (
            f"{mine} iterates over {where}{at(first)}; {theirs} changes it{at(remote)}, "
            "and nothing orders that change with the loop"
        )
    elif violation.used_stale:
        between = "wrote" if violation.happened else "can write"
        story = (
            f"{mine} checked {where}{at(first)}, {theirs} {between} {where}{at(remote)}, "
            f"{mine} used {where}{at(second)}: what {mine} uses is no longer what it "
            "checked"
        )
    elif violation.stale:
        story = (
            f"{mine} checked {where}{at(first)} and then wrote it{at(second)}; "
            f"{theirs} makes the same check{at(remote)}, and nothing orders it with that "
            f"write: when it comes first, both see the old value and both act"
        )
    elif violation.happened:
        what = "read" if pattern == "lost update" else "checked"
        lost = (
            f"{theirs}'s update is lost"
            if pattern == "lost update"
            else f"{mine} acted on a check that {theirs}'s write had made stale"
        )
        story = (
            f"{mine} {what} {where}{at(first)}, {theirs} wrote {where}{at(remote)}, "
            f"{mine} wrote {where}{at(second)}: {lost}"
        )
    else:
        what = "read" if pattern == "lost update" else "checked"
        story = (
            f"{mine} {what} {where}{at(first)} and then wrote it{at(second)}; "
            f"{theirs} writes {where}{at(remote)}, and nothing orders that write with "
            "either, so another interleaving puts it in between"
        )
    if not violation.happened:
        title += " (predicted; this run did not go through it)"
    if violation.torn:
        summary = f"{theirs} wrote {where} between {mine}'s two updates of it"
    elif violation.iteration:
        summary = f"{theirs} changes {where} while {mine} iterates over it"
    elif violation.used_stale:
        summary = f"{theirs} can write {where} between {mine}'s check of it and its use"
    elif pattern == "check-then-act":
        summary = f"{mine} and {theirs} can both check {where} before either acts on it"
    else:
        summary = f"{mine} and {theirs} can both read {where} before either writes it back"
    headline = textwrap.fill(f"{title}: {story}", WIDTH, break_on_hyphens=False)
    touched = (violation.first, violation.remote, violation.second)
    focus = focused(trace, touched, violation.location, outcome)
    return Cause(pattern, headline, focus, summary, conflicts(touched))


def explain_order(violation: OrderViolation, outcome: Outcome, trace: Trace) -> Cause:
    names = outcome.thread_names
    read, write = violation.read, violation.write
    reader, writer = names[read.thread], names[write.thread]
    where = f"`{violation.location.name}`"
    story = (
        f"{reader} read {where}{_at(read)} before {writer} wrote it{_at(write)}, and "
        f"nothing makes the write come first: {reader} acted on the state from before it"
    )
    headline = textwrap.fill(f"Order violation: {story}", WIDTH, break_on_hyphens=False)
    summary = f"{reader} read {where} before {writer} wrote it"
    focus = focused(trace, (read, write), violation.location, outcome)
    return Cause("order violation", headline, focus, summary, conflicts((read, write)))


def conflicts(touched: Sequence[Touch]) -> tuple[Conflict, ...]:
    """The accesses a cause names, as plain data, in the order they happened."""
    found = []
    for touch in sorted(touched, key=lambda t: t.order):
        filename, lineno = line_of(touch.site)
        where = (filename, lineno) if filename and lineno else None
        found.append(Conflict(touch.step + 1, str(touch.access), where))
    return tuple(found)


def explain_over_release(release: OverRelease, names: Sequence[str]) -> Cause:
    who = names[release.thread]
    history = ", ".join(
        f"{what} it{'' if where is None else ' at ' + _short(where)}"
        for what, where in release.history
    )
    before = f" ({history})" if history else ""
    where = release.released_at
    name = _primitive_name(where, "semaphore") if where is not None else "the semaphore"
    effect = (
        "the BoundedSemaphore refused it with ValueError, here, where the bug is"
        if release.refused
        else f"it now lets {release.value} threads in where it was made for "
        f"{release.capacity} (a BoundedSemaphore raises ValueError here)"
    )
    story = f"{who} released {name} once more than it was taken{before}: {effect}"
    headline = textwrap.fill(f"Over-release: {story}", WIDTH, break_on_hyphens=False)
    summary = f"{who} released a semaphore of {release.capacity} once more than it was taken"
    return Cause("over-release", headline, "", summary)


def _short(where: tuple[str, int]) -> str:
    """``file.py:12``: a place in the code, for people."""
    return f"{short_path(where[0])}:{where[1]}"


def explain_cycle(cycle: LockCycle) -> Cause:
    parts = []
    for edge in cycle.edges:
        held = _site(edge.held_at)
        taken = _site(edge.taken_at)
        parts.append(f"  {edge.who} took the lock of {taken} while holding the lock of {held}")
    headline = (
        f"Lock-order inversion: {len(cycle.edges)} locks are taken in orders that form a "
        "cycle, a deadlock waiting for the right interleaving:\n" + "\n".join(parts)
    )
    summary = f"{len(cycle.edges)} locks are taken in orders that form a cycle"
    return Cause("lock-order inversion", headline, "", summary)


def causes(outcome: Outcome, trace: Trace | None = None) -> tuple[Findings, list[Cause]]:
    """What the run's log shows and predicts, the causes in the order to tell them: a
    violation the run went through first, then the predicted ones, then lock cycles."""
    findings = analyse(outcome, observed=outcome.failed)
    if trace is None:
        trace = build_trace(outcome)
    # What the run went through first; then a lost write before a stale check, which
    # the same code's lost update usually explains better.
    # In a failed run, first what happened to the thread that failed.
    failing = outcome.failure.thread if outcome.failure is not None else None
    names = outcome.thread_names
    ranked = sorted(
        findings.violations,
        key=lambda v: (
            not v.happened,
            v.torn,  # two updates split: told when nothing else explains the run
            names[v.second.thread] != failing,
            v.stale,
            -v.remote.order,  # the change that made the check stale last
        ),
    )
    told: list[Cause] = []
    seen: set[str] = set()
    for violation in ranked:
        # One cause per location: not both mirror images of a lost update, nor the stale
        # check that the same lost update explains.
        name = violation.location.name
        if name not in seen:
            seen.add(name)
            told.append(explain_violation(violation, outcome, trace))
    told += [explain_cycle(c) for c in findings.lock_cycles]
    told += [explain_over_release(r, names) for r in findings.over_releases[:1]]
    failure = outcome.failure
    if not told and failure is not None and failure.pattern is None:
        order = order_violation(outcome)
        if order is not None:
            told.append(explain_order(order, outcome, trace))
    return findings, told


def finding_failure(cause: Cause, more: int) -> Failure:
    """A run that passed, failed for what it predicts."""
    kind = {
        "lock-order inversion": FailureKind.LOCK_ORDER,
        "over-release": FailureKind.OVER_RELEASE,
    }.get(cause.pattern, FailureKind.RACE)
    report = cause.headline
    if cause.focus:
        report += "\n\n" + cause.focus
    if more:
        report += f"\n\n({more} more finding{'s' if more != 1 else ''} in this run)"
    return Failure(kind, cause.summary, report=report, pattern=cause.pattern)


# ---------------------------------------------------------------------------- focus


def focused(trace: Trace, touched: Sequence[Touch], location: Location, outcome: Outcome) -> str:
    """The steps that carry the conflicting accesses, tagged, the rest folded by thread.

    A conflicting access is shown at its own source line (at line granularity a step may
    span a call, so its access can sit on another line than the step's)."""
    marked = {t.step: t for t in touched}
    tagged: dict[int, dict[str, None]] = {}  # step -> its accesses to the location
    first_at: dict[int, Any] = {}  # step -> the instruction of its first such access
    for _thread, index, event, instruction in outcome.events:
        if isinstance(event, Access) and event.location.overlaps(location):
            tagged.setdefault(index, {})[str(event)] = None
            first_at.setdefault(index, instruction)
    rows: list[str] = []
    folded: list[Step] = []

    def fold() -> None:
        if not folded:
            return
        by = folded[0].thread_name
        if all(step.thread_name == by for step in folded):
            rows.append(f"      ... {len(folded)} step{'s' if len(folded) != 1 else ''} of {by}")
        else:
            rows.append(f"      ... {len(folded)} steps")
        folded.clear()

    # Where the run took a thread off while it could go on: never folded either. The
    # thread's pending step is shown where it runs; the preemption, where it happened.
    by_index = {step.index: step for step in trace}
    preemptions = {
        d.step + 1: (by_index[d.step], outcome.thread_names[d.chosen])
        for d in outcome.decisions
        if d.preemption and d.step in by_index
    }
    indices = [i for i, step in enumerate(trace) if step.index - 1 in marked]
    if not indices:
        return ""
    for step in trace[indices[0] : indices[-1] + 1]:
        if step.index in preemptions:
            fold()
            off, runs = preemptions[step.index]
            rows.append(f"      -- {off.thread_name} is preempted here; {runs} runs")
        tags = list(tagged.get(step.index - 1, ()))
        touch = marked.get(step.index - 1)
        if touch is None and not tags:
            folded.append(step)
            continue
        fold()
        site = touch.site if touch is not None else first_at.get(step.index - 1)
        filename, lineno = line_of(site)
        if filename is None:
            filename, lineno = step.filename, step.lineno
        source = linecache.getline(filename, lineno).strip() if filename and lineno else ""
        place = _short((filename, lineno)) if filename and lineno else ""
        caller = caller_of(site)
        if caller is not None:
            place += f", called from {_short(caller)}"
        rows.append(
            f"{step.index:5} {step.thread_name:<10} {source}   ({place}) [{', '.join(tags)}]"
        )
    fold()
    if len(rows) > FOCUS_LINES:  # what was folded goes first, then the last lines
        rows = [row for row in rows if not row.startswith("      ... ")]
    if len(rows) > FOCUS_LINES:
        rows = [*rows[: FOCUS_LINES - 1], f"      ... {len(rows) - FOCUS_LINES + 1} more lines"]
    return "\n".join(rows)


def line_of(site: Any) -> tuple[str | None, int | None]:
    """The file and line of the instruction that made an access, ``(code, offset)`` (and,
    in a library, the program's line that called it)."""
    if isinstance(site, tuple) and len(site) in (2, 3) and isinstance(site[0], CodeType):
        code, offset = site[:2]
        if isinstance(offset, int):
            return code.co_filename, INSTRUCTIONS.describe(code, offset)[0]
    return None, None


def caller_of(site: Any) -> tuple[str, int] | None:
    """For an access a library made, the line of the program that led there."""
    if isinstance(site, tuple) and len(site) == 3:
        caller: tuple[str, int] = site[2]
        return caller
    return None


def _at(touch: Touch) -> str:
    filename, lineno = line_of(touch.site)
    if not filename or not lineno:
        return ""
    caller = caller_of(touch.site)
    called = f", called from {_short(caller)}" if caller is not None else ""
    return f" ({_short((filename, lineno))}{called})"


def _site(site: tuple[str, int] | None) -> str:
    if site is None:
        return "a lock"
    filename, lineno = site
    source = linecache.getline(filename, lineno).strip()
    return f"`{source}` ({_short(site)})" if source else _short(site)


# ---------------------------------------------------------------------------- fixes


def explain_fix(broken: Outcome, fixed: Outcome) -> list[str]:
    """What a fix changes, as the access model sees it: for each location the broken
    variant races on, the happens-before edge that now orders its accesses."""
    found = analyse(broken)
    lines: list[str] = []
    names = sorted({v.location.name for v in found.violations})
    all_touches = touches(fixed)
    for name in names:
        racing = {
            thread
            for v in found.violations
            if v.location.name == name
            for thread in (v.first.thread, v.remote.thread)
        }
        lines.append(_ordering(name, racing, all_touches, fixed))
    if found.lock_cycles:
        after = analyse(fixed)
        if lock_cycles(after.lock_edges.values(), gated=True):
            lines.append(
                "The locks still form a cycle, but every thread in it holds a permit of a "
                "semaphore that admits fewer threads than the cycle needs: it never closes."
            )
        elif not after.lock_cycles:
            lines.append(
                "No two locks are taken in opposite orders any more: the lock-order graph "
                "has no cycle."
            )
    return lines


def _ordering(name: str, racing: set[int], log: Sequence[Touch], fixed: Outcome) -> str:
    mine = [t for t in log if t.access.location.name == name and t.thread in racing]
    threads = {t.thread for t in mine}
    if len(threads) < 2:
        return f"`{name}` is no longer shared: only one of the racing threads touches it."
    names = fixed.thread_names
    verb = {"read": "read", "write": "write", "update": "update", "iterate": "iteration"}
    best: tuple[Touch, Touch, str] | None = None
    for index, earlier in enumerate(mine):
        if not earlier.access.kind.writes:
            continue
        for later in mine[index + 1 :]:
            if later.thread == earlier.thread or not later.ordered(earlier):
                continue
            edge = _edge(fixed, earlier, later)
            if best is None or (edge.startswith("release") and not best[2].startswith("release")):
                best = (earlier, later, edge)
            break
    if best is None:
        return (
            f"`{name}`: no access of one racing thread acts, unordered, on the other's "
            "write any more"
        )
    earlier, later, edge = best
    return (
        f"{names[later.thread]}'s {verb[later.access.kind.value]} of `{name}`{_at(later)} "
        f"now happens after {names[earlier.thread]}'s "
        f"{verb[earlier.access.kind.value]}{_at(earlier)}: {edge}"
    )


def _edge(fixed: Outcome, earlier: Touch, later: Touch) -> str:
    """The synchronisation that orders two accesses: a release and the acquire that
    follows it, or the start of the later thread."""
    events = fixed.events
    releases: dict[int, Sync] = {}
    for position, (thread, _step, event, _where) in enumerate(events, start=1):
        if position <= earlier.order or not isinstance(event, Sync):
            continue
        if position >= later.order:
            break
        if thread == earlier.thread and event.kind == "release":
            releases.setdefault(event.obj, event)
        elif thread == later.thread and event.kind == "acquire" and event.obj in releases:
            return f"release of {_lock_name(releases[event.obj])} -> acquire of {_lock_name(event)}"
        elif thread == earlier.thread and event.kind == "start" and event.obj == later.thread:
            return f"{fixed.thread_names[earlier.thread]} starts it afterwards"
    return "ordered through a chain of synchronisation between other threads"


def _lock_name(sync: Sync) -> str:
    if sync.site is None:
        return "a lock inside the library"
    return _primitive_name(sync.site, "lock")


def _primitive_name(site: tuple[str, int], kind: str) -> str:
    """A lock or semaphore as the line at ``site`` names it (``with a.lock:``,
    ``slots.release()``): "`a.lock` at bank.py:12"."""
    source = linecache.getline(*site).strip()
    where = _short(site)
    match = re.match(r"(?:async\s+)?with\s+(.+?)\s*:$", source) or re.search(
        r"([\w.\[\]]+)\.(?:acquire|release)\(", source
    )
    if match:
        return f"`{match.group(1)}` at {where}"
    return f"the {kind} in `{source}` at {where}" if source else f"a {kind} at {where}"
