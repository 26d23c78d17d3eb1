"""Every test must leave the process as it found it: no thread, hook or patch behind."""

from __future__ import annotations

import _thread
import asyncio
import queue
import sys
import threading
import time

import pytest

_ORIGINALS = {
    (threading, "Lock"): threading.Lock,
    (threading, "_allocate_lock"): threading._allocate_lock,  # type: ignore[attr-defined]
    (threading, "_time"): threading._time,  # type: ignore[attr-defined]
    (threading, "excepthook"): None,  # pytest swaps it per test; checked separately
    (queue, "SimpleQueue"): queue.SimpleQueue,
    (time, "sleep"): time.sleep,
    (time, "monotonic"): time.monotonic,
    (asyncio.Lock, "acquire"): asyncio.Lock.acquire,
    (asyncio.Lock, "release"): asyncio.Lock.release,
    (asyncio.tasks, "_task_name_counter"): asyncio.tasks._task_name_counter,  # type: ignore[attr-defined]
}


def leftovers(threads_before: int, trace_before: object = None) -> list[str]:
    """What a run of races left behind, described for an assertion message."""
    found = []
    # Controlled threads are raw _thread threads; _count() sees them even when
    # threading.enumerate() does not.
    if _thread._count() > threads_before:
        found.append(f"{_thread._count() - threads_before} thread(s) still alive")
    if sys.gettrace() is not trace_before:  # coverage, when it runs, has its own
        found.append(f"a trace function is installed: {sys.gettrace()!r}")
    if hasattr(sys, "monitoring"):
        for tool in range(6):
            if sys.monitoring.get_tool(tool) == "races":
                found.append(f"sys.monitoring tool {tool} is still registered")
    for (module, name), original in _ORIGINALS.items():
        if original is not None and getattr(module, name) is not original:
            found.append(f"{getattr(module, '__name__', module)}.{name} is still patched")
    from races.core.runtime import EXPLORING
    from races.runtimes.threads import execution

    if execution.active is not None or EXPLORING.open:
        found.append("an execution or session is still open")
    return found


@pytest.fixture(autouse=True)
def nothing_leaks():
    before = _thread._count()
    trace_before = sys.gettrace()
    yield
    # races joins every OS thread it started before explore() returns: no grace period.
    problems = leftovers(before, trace_before)
    assert not problems, "races leaked: " + "; ".join(problems)
