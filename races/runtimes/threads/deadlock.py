"""Why nobody can run: a cycle in the wait-for graph, a self-deadlock, or stuck threads.

Every wait is, underneath, a thread waiting for a modelled lock. A lock taken by another
thread gives an edge "waiter -> holder" (a mutex, or the sentinel a joined thread holds
while it runs); a cycle of such edges is a deadlock. A thread waiting for a plain ``Lock``
it holds itself is a self-deadlock. Anything else (a ``Condition``, ``Event``, ``Queue``
or ``Semaphore`` wait, which waits for a lock it took itself until someone notifies) is a
thread stuck waiting for a wake-up that nobody left can give.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from types import CodeType, FrameType, ModuleType
from typing import Any

from races.core import diagnosis
from races.core.diagnosis import Waiter
from races.runtimes.threads.records import ControlledThread, State
from races.vocabulary.outcome import Failure

RLOCK_HINT = (
    "a Lock is not re-entrant: the thread that holds it blocks forever when it acquires it "
    "again. Use threading.RLock, or have the inner code run without taking the lock."
)


def analyse(
    live: Sequence[ControlledThread],
    root: ControlledThread,
    under_test: Callable[[CodeType], bool],
    ended: Sequence[ControlledThread] = (),
) -> Failure:
    """Why none of the ``live`` threads can run: a deadlock, a resource that threads now
    ``ended`` kept (a lock they held, work left in a queue they served), or stuck threads."""
    blocked = [t for t in live if t.state is State.BLOCKED]
    names = _lock_names(blocked, under_test)
    edges: dict[ControlledThread, ControlledThread] = {}
    for t in blocked:
        holder = getattr(t.waiting_for, "holder", None)
        if holder is not None and holder is not t and holder.state is not State.FINISHED:
            edges[t] = holder
    waiters = {t: _waiter(t, names) for t in blocked}
    for t, holder in edges.items():
        waiters[t].holder = waiters.get(holder) or Waiter(holder.name)

    cycle = diagnosis.find_cycle(edges, order=sorted(edges, key=lambda t: t.index))
    if cycle:
        return diagnosis.deadlock([waiters[t] for t in cycle], "threads")

    for t in blocked:
        lock = t.waiting_for
        if lock is not None and lock.holder is t and t.blocked_op == "Lock.acquire":
            return diagnosis.self_deadlock(waiters[t], RLOCK_HINT)

    if not blocked:  # pragma: no cover - a run with no live thread has ended, not stalled
        return diagnosis.stuck([], Waiter("no thread"), "threads")
    for t in blocked:
        lock = t.waiting_for
        holder = getattr(lock, "holder", None)
        if holder is not None and holder is not t and holder.state is State.FINISHED:
            waiters[t].holder_site = _site_of(lock)
            return diagnosis.leaked_lock(waiters[t], holder.name)
    first = next((t for t in blocked if t not in edges), blocked[0])
    served = {q for t in ended if t is not root for q in t.served}
    left = _work_left(blocked, under_test, served) if served else []
    if left:
        gone = [t.name for t in ended if t is not root and t.served & {q for q, _, _ in left}]
        waiting = [waiters[t] for t in blocked]
        named = [(name, items) for _, name, items in left]
        return diagnosis.leaked_work(waiting, waiters[first], named, gone, "threads")
    note = ""
    if root.state is State.FINISHED:
        note = " (the scenario has returned; the program would hang at exit)"
    return diagnosis.stuck([waiters[t] for t in blocked], waiters[first], "threads", note)


def _work_left(
    blocked: list[ControlledThread], under_test: Callable[[CodeType], bool], served: set[int]
) -> list[tuple[int, str, list[Any]]]:
    """The queues among ``served`` (ids of queues threads that ended took from) that the
    waiting threads' code can reach and that still hold items: their ids, the names the
    code reaches them by (`tasks`, `self.jobs`), and their items, first out first."""
    found: dict[int, tuple[int, str, list[Any]]] = {}
    for _, frame in _scopes(blocked, under_test):
        for key, value in list(frame.f_locals.items()):
            if not isinstance(key, str):
                continue
            candidates = [(key, value)]
            if _plain_object(value) and not isinstance(value, (type, ModuleType)):
                candidates += [(f"{key}.{k}", v) for k, v in list(vars(value).items())[:64]]
            for name, item in candidates:
                # Read without its lock: every thread is waiting, none is changing it.
                if id(item) in served and id(item) not in found and len(item.queue):
                    found[id(item)] = (
                        id(item),
                        f"`{name}` ({type(item).__name__})",
                        list(item.queue),
                    )
    return list(found.values())


def _scopes(
    threads: list[ControlledThread], under_test: Callable[[CodeType], bool]
) -> list[tuple[ControlledThread, FrameType]]:
    """Each thread's frames in the code under test, innermost first (at most 12 deep)."""
    frames = sys._current_frames()
    scopes: list[tuple[ControlledThread, FrameType]] = []
    for t in threads:
        frame = frames.get(t.ident) if t.ident is not None else None
        depth = 0
        while frame is not None and depth < 12:
            if under_test(frame.f_code):
                scopes.append((t, frame))
            frame = frame.f_back
            depth += 1
    return scopes


def _waiter(t: ControlledThread, names: dict[int, str]) -> Waiter:
    waited = t.waiting_for
    return Waiter(
        t.name,
        waits_in=t.blocked_op,
        site=t.blocked_site,
        waits_for=_lock_label(waited, names) if waited is not None else "a wake-up",
        joining=t.blocked_op.startswith("Thread.join"),
        for_itself=(
            waited is not None
            and getattr(waited, "holder", None) is t
            and t.blocked_op != "Lock.acquire"
        ),
        holds=[(_lock_label(lock, names), _site_of(lock)) for lock in t.held],
    )


def _site_of(lock: Any) -> tuple[str, int] | None:
    site = lock.site
    return (site.filename, site.lineno) if site is not None else None


def _lock_label(lock: Any, names: dict[int, str]) -> str:
    if lock is None:
        return "nothing"
    if id(lock) in names:
        return names[id(lock)]
    label: str | None = getattr(lock, "label", None)  # what is not a lock says what it is
    if label:
        return label
    made = getattr(lock, "_made", None)
    if made and made[1]:  # where it was made, when the code keeps it nowhere we can see
        return f"the Lock made at {os.path.basename(str(made[0]))}:{made[1]}"
    return f"Lock#{lock.serial}"


def _lock_names(
    blocked: list[ControlledThread], under_test: Callable[[CodeType], bool]
) -> dict[int, str]:
    """Name the locks involved after the expressions that reach them in the user's frames.

    A lock kept in a list, a dict or an attribute is named by it (`forks[2]`, `self.lock`):
    the same name from every thread. Only then by a plain variable (`left`), which may be
    another lock in another thread's frame: a name already given to one lock is qualified
    with the thread whose variable it is, so no name ever stands for two locks.
    """
    names: dict[int, str] = {}
    wanted: dict[int, Any] = {
        id(t.waiting_for): t.waiting_for for t in blocked if t.waiting_for is not None
    }
    for t in blocked:
        for lock in t.held:
            wanted[id(lock)] = lock
    scopes = _scopes(blocked, under_test)
    for _, frame in scopes:  # containers and attributes first: one name for every thread
        for key, value in list(frame.f_locals.items()) + list(frame.f_globals.items()):
            if isinstance(key, str) and not key.startswith("__"):
                _name_inside(key, value, wanted, names)
    taken = set(names.values())
    for t, frame in scopes:  # then plain variables, never one name for two locks
        for namespace in (frame.f_locals, frame.f_globals):
            for key, value in list(namespace.items()):
                if not isinstance(key, str) or key.startswith("__"):
                    continue
                for lock in _locks_inside(value):
                    if id(lock) not in wanted or id(lock) in names:
                        continue
                    name = f"{key} ({_kind(value)})"
                    if name in taken:
                        name = f"{key} of {t.name} ({_kind(value)})"
                    names[id(lock)] = name
                    taken.add(name)
    return names


def _name_inside(
    path: str, value: Any, wanted: dict[int, Any], names: dict[int, str], depth: int = 0
) -> None:
    """Name the wanted locks kept in ``value``'s items and attributes, one level down
    (two for an object's attributes: `self.accounts[1].lock`)."""
    items: list[tuple[str, Any]] = []
    if type(value) in (list, tuple):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value[:64])]
    elif type(value) is dict:
        items = [(f"{path}[{k!r}]", v) for k, v in list(value.items())[:64]]
    elif depth < 2 and not isinstance(value, (type, ModuleType)) and _plain_object(value):
        items = [(f"{path}.{k}", v) for k, v in list(vars(value).items())[:64]]
    for name, item in items:
        for lock in _locks_inside(item):
            if id(lock) in wanted and id(lock) not in names:
                names[id(lock)] = f"{name} ({_kind(item)})"
        if depth < 1 and not _locks_inside(item):
            _name_inside(name, item, wanted, names, depth + 1)


def _plain_object(value: Any) -> bool:
    """A user's object with a ``__dict__``: its attributes are worth a look."""
    return hasattr(value, "__dict__") and not callable(value)


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
