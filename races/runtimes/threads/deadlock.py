"""Why nobody can run: a cycle in the wait-for graph, a self-deadlock, or stuck threads.

Every wait is, underneath, a thread waiting for a modelled lock. A lock taken by another
thread gives an edge "waiter -> holder" (a mutex, or the sentinel a joined thread holds
while it runs); a cycle of such edges is a deadlock. A thread waiting for a plain ``Lock``
it holds itself is a self-deadlock. Anything else (a ``Condition``, ``Event``, ``Queue``
or ``Semaphore`` wait, which waits for a lock it took itself until someone notifies) is a
thread stuck waiting for a wake-up that nobody left can give.
"""

from __future__ import annotations

import linecache
import sys
from typing import TYPE_CHECKING, Any

from races.runtimes.threads.execution import State
from races.vocabulary.kinds import FailureKind

if TYPE_CHECKING:
    from races.runtimes.threads.execution import ControlledThread, Execution

RLOCK_HINT = (
    "a Lock is not re-entrant: the thread that holds it blocks forever when it acquires it "
    "again. Use threading.RLock, or have the inner code run without taking the lock."
)


def analyse(ex: Execution) -> tuple[FailureKind, str, str]:
    """Classify the state where no thread can run: (kind, one-line message, report)."""
    blocked = [t for t in ex.live if t.state is State.BLOCKED]
    names = _lock_names(ex, blocked)
    edges: dict[ControlledThread, ControlledThread] = {}
    for t in blocked:
        holder = getattr(t.waiting_for, "holder", None)
        if holder is not None and holder is not t and holder.state is not State.FINISHED:
            edges[t] = holder

    cycle = _find_cycle(edges)
    if cycle:
        lines = [_holds_and_waits(t, names, edges.get(t)) for t in cycle]
        chain = ", which ".join(
            f"{t.name} waits for {_lock_label(t.waiting_for, names)} held by {edges[t].name}"
            if i == 0
            else f"waits for {_lock_label(t.waiting_for, names)} held by {edges[t].name}"
            for i, t in enumerate(cycle)
        )
        message = f"deadlock: {chain}"
        report = "Deadlock: these threads wait for each other in a cycle:\n" + "\n".join(lines)
        return FailureKind.DEADLOCK, message, report

    for t in blocked:
        lock = t.waiting_for
        if lock is not None and lock.holder is t and t.blocked_op == "Lock.acquire":
            label = _lock_label(lock, names)
            message = f"self-deadlock: {t.name} acquires {label}, which it already holds"
            report = f"Self-deadlock:\n{_holds_and_waits(t, names, None)}\nHint: {RLOCK_HINT}"
            return FailureKind.DEADLOCK, message, report

    lines = [_holds_and_waits(t, names, edges.get(t)) for t in blocked]
    root_done = ex.threads[0].state is State.FINISHED
    first = next((t for t in blocked if t not in edges), blocked[0] if blocked else None)
    if first is None:  # pragma: no cover - a run with no live thread has ended, not stalled
        return FailureKind.STUCK, "stuck: no thread can run", ""
    message = (
        f"stuck: {first.name} waits in {first.blocked_op}{_at(first.blocked_site)} "
        "and nothing can wake it"
    )
    if root_done:
        message += " (the scenario has returned; the program would hang at exit)"
    report = "Stuck: every thread waits, and none of them can wake another:\n" + "\n".join(lines)
    return FailureKind.STUCK, message, report


def _find_cycle(edges: dict[Any, Any]) -> list[Any]:
    for start in edges:
        seen: list[Any] = []
        node = start
        while node in edges and node not in seen:
            seen.append(node)
            node = edges[node]
        if node in seen:
            cycle = seen[seen.index(node) :]
            first = min(cycle, key=lambda t: t.index)
            i = cycle.index(first)
            return cycle[i:] + cycle[:i]
    return []


def _holds_and_waits(t: ControlledThread, names: dict[int, str], holder: Any) -> str:
    parts = [f"  {t.name}"]
    for lock in t.held:
        parts.append(f"    holds {_lock_label(lock, names)} (acquired at {_site(lock.site)})")
    waited = t.waiting_for
    what = _lock_label(waited, names) if waited is not None else "a wake-up"
    if t.blocked_op.startswith("Thread.join") and holder is not None:
        what = f"{holder.name} to finish"
    elif holder is not None:
        what += f" (held by {holder.name})"
    elif waited is not None and waited.holder is t and t.blocked_op != "Lock.acquire":
        what = "a notify/put/set that no running thread can make"
    parts.append(f"    waits in {t.blocked_op} for {what}, at {_site_tuple(t.blocked_site)}")
    return "\n".join(parts)


def _at(site: tuple[str, int] | None) -> str:
    return f" at {site[0]}:{site[1]}" if site else ""


def _site(site: Any) -> str:
    if site is None:
        return "an unknown place"
    return _site_tuple((site.filename, site.lineno))


def _site_tuple(site: tuple[str, int] | None) -> str:
    if site is None:
        return "an unknown place"
    source = linecache.getline(site[0], site[1]).strip()
    return f"{site[0]}:{site[1]}" + (f"  `{source}`" if source else "")


def _lock_label(lock: Any, names: dict[int, str]) -> str:
    if lock is None:
        return "nothing"
    label = getattr(lock, "label", None)  # what is not a lock says what it is (I/O)
    return names.get(id(lock), label or f"Lock#{lock.serial}")


def _lock_names(ex: Execution, blocked: list[ControlledThread]) -> dict[int, str]:
    """Name the locks involved after the variables that refer to them in the user's frames."""
    names: dict[int, str] = {}
    frames = sys._current_frames()
    wanted = {id(t.waiting_for): t.waiting_for for t in blocked if t.waiting_for is not None}
    for t in blocked:
        for lock in t.held:
            wanted[id(lock)] = lock
    for t in blocked:
        frame = frames.get(t.ident) if t.ident is not None else None
        while frame is not None and not ex.under_test(frame.f_code):
            frame = frame.f_back
        depth = 0
        while frame is not None and depth < 8:
            if ex.under_test(frame.f_code):
                _name_in(frame.f_locals, wanted, names)
                this = frame.f_locals.get("self")
                if this is not None and hasattr(this, "__dict__"):
                    _name_in(vars(this), wanted, names, prefix="self.")
                _name_in(frame.f_globals, wanted, names)
            frame = frame.f_back
            depth += 1
    return names


def _name_in(
    namespace: Any, wanted: dict[int, Any], names: dict[int, str], prefix: str = ""
) -> None:
    for key, value in list(namespace.items()):
        if not isinstance(key, str) or key.startswith("__"):
            continue
        for lock in _locks_inside(value):
            if id(lock) in wanted and id(lock) not in names:
                names[id(lock)] = f"{prefix}{key} ({_kind(value)})"


def _locks_inside(value: Any) -> list[Any]:
    """The modelled locks a user-visible primitive is built on."""
    found = []
    for attr in ("_block", "_lock"):  # RLock, Condition
        inner = getattr(value, attr, None) if not isinstance(value, type) else None
        if inner is not None:
            found.append(inner)
    if hasattr(value, "holder") and hasattr(value, "serial"):
        found.append(value)
    return found


def _kind(value: Any) -> str:
    name = type(value).__name__
    return {"_PyRLock": "RLock"}.get(name, name)
