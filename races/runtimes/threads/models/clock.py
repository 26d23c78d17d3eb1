"""``time.sleep`` and the clocks, on the scheduler's virtual time.

Virtual time only moves when every thread is waiting (see ``execution``), so sleeping
costs nothing real, and a ``sleep`` is a switch point like any blocking call.
"""

from __future__ import annotations

import sys
import time as _time
from collections.abc import Callable

from races.core.sites import call_site
from races.core.untraced import untraced
from races.runtimes.threads import execution
from races.vocabulary.kinds import StepKind

real_sleep = _time.sleep
real_monotonic = _time.monotonic
real_time = _time.time
real_perf_counter = _time.perf_counter

# Where virtual time 0 sits on each clock. The monotonic clocks start at 0 (their
# reference point is unspecified), which keeps differences exact; time() starts at the
# real time when the session starts.
origin = {"monotonic": 0.0, "time": 0.0, "perf_counter": 0.0}


@untraced
def sleep(secs: float) -> None:
    here = execution.controlled()
    if here is None:
        return real_sleep(secs)
    ex, rec = here
    if isinstance(secs, (str, bytes)) or not hasattr(secs, "__float__"):
        raise TypeError(f"'{type(secs).__name__}' object cannot be interpreted as an integer")
    secs = float(secs)
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    site = call_site(ex.under_test)
    where = (site.filename, site.lineno) if site is not None else None
    if secs == 0:
        ex.switch_point(rec, StepKind.SLEEP, 0.0, where)  # sleep(0) only yields
    else:
        if _runs_event_loop():
            ex.loop_blocks.append((rec.name, secs, where))
        ex.block(rec, None, secs, "time.sleep", where)


def _runs_event_loop() -> bool:
    """Whether the calling thread is inside a running asyncio event loop (a blocking
    sleep there stops every task of the loop)."""
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and asyncio.events._get_running_loop() is not None


def _now(clock: str, real: Callable[[], float]) -> float:
    here = execution.controlled()
    if here is None:
        return real()
    return origin[clock] + here[0].clock


def monotonic() -> float:
    return _now("monotonic", real_monotonic)


def perf_counter() -> float:
    return _now("perf_counter", real_perf_counter)


def time() -> float:
    return _now("time", real_time)


def set_origin() -> None:
    origin["time"] = real_time()
