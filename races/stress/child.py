"""The child side of a stress batch: run a scenario many times on real threads.

Started by ``races.stress`` as
``python -m races.stress.child TARGET RUNS INTERVAL NOISE SEED [PARAMS_JSON]``;
prints one JSON line per run: its outcome, whether its threads overlapped, its duration.
It never decides anything about hangs: the parent's watchdog does, and may kill it at any
moment, which is why every run is reported as soon as it ends.

Overlap: every thread the scenario starts waits at a barrier before running, so that the
threads start together (as pytest-together does); the number of parties is the number of
threads the first run started. Each thread's run is timed, and a run counts as evidence
only if at least two threads were running at the same time.

Noise: with probability ``NOISE``, a trace hook calls ``time.sleep(0)`` before an
instruction of the code under test, which gives the GIL away at a point where the
interpreter itself would never switch threads.
"""

from __future__ import annotations

import faulthandler
import itertools
import json
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from races.core.codefilter import CodeFilter
from races.core.targets import load

_real_run = threading.Thread.run
_real_sleep = time.sleep


class _Run:
    """What the patched ``Thread.run`` records during one run."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.barrier = threading.Barrier(parties) if parties > 1 else None
        self.intervals: list[tuple[float, float]] = []
        self.errors: list[BaseException] = []
        self.started = 0


_current: _Run | None = None


# gevent's own code is not the scenario's: tracing it for noise crashes CPython 3.12 when
# a gevent thread pool's worker clears its trace function inside its greenlet.
_under_test = CodeFilter(exclude=("*/gevent/*", "*/greenlet/*"))


def _is_scenario_thread(thread: threading.Thread) -> bool:
    """A thread the scenario started itself, not one of the standard library's helpers
    (a multiprocessing queue's feeder, a pool's handlers): only those race."""
    code = getattr(getattr(thread, "_target", None), "__code__", None)
    return code is not None and _under_test(code)


def _run(self: threading.Thread) -> None:
    run = _current
    if run is None or not _is_scenario_thread(self):
        _real_run(self)
        return
    run.started += 1
    if run.barrier is not None:
        try:
            run.barrier.wait(timeout=0.05)
        except threading.BrokenBarrierError:
            pass  # the scenario starts threads one at a time: no common start
    begin = time.perf_counter()
    try:
        _real_run(self)
    finally:
        run.intervals.append((begin, time.perf_counter()))


def _overlapped(intervals: list[tuple[float, float]]) -> bool:
    ordered = sorted(intervals)
    return any(b[0] < a[1] for a, b in itertools.pairwise(ordered))


def _noise_tracer(probability: float, rng: random.Random) -> Callable[..., Any]:
    under_test = _under_test

    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "opcode" and rng.random() < probability:
            _real_sleep(0)
        return local

    def on_call(frame: FrameType, event: str, arg: object) -> Any:
        if not under_test(frame.f_code):
            return None
        frame.f_trace_opcodes = True
        return local

    return on_call


def held_locks() -> str:
    """Every lock that is locked right now, with the names it is known by.

    Runs at a hang, on request (SIGUSR2), never during runs: tracking owners as locks are
    taken would change the timing that stress measures. Names come from module and
    instance attributes and from the locals of every thread's frames. A plain Lock does
    not know its owner; an RLock does, and its repr says so.
    """
    import _thread
    import gc

    kinds = (_thread.LockType, type(threading.RLock()))
    locks: dict[int, Any] = {}
    names: dict[int, set[str]] = {}

    def note(name: str, value: Any) -> None:
        # Private names are threading's own bookkeeping (a thread's _tstate_lock).
        if type(value) in kinds and not name.startswith("_") and _is_locked(value):
            locks[id(value)] = value
            names.setdefault(id(value), set()).add(name)

    for obj in gc.get_objects():
        if isinstance(obj, dict):
            for key, value in list(obj.items()):
                if isinstance(key, str):
                    note(key, value)
        elif not isinstance(obj, type) and hasattr(obj, "__dict__"):
            for key, value in list(vars(obj).items()):
                if not key.startswith("_"):
                    note(f"{type(obj).__name__}.{key}", value)
    for frame in sys._current_frames().values():
        f: FrameType | None = frame
        while f is not None:
            if not f.f_code.co_filename.endswith("threading.py"):
                for key, value in list(f.f_locals.items()):
                    note(f"{key} (in {f.f_code.co_name})", value)
            f = f.f_back
    threads = {t.ident: t.name for t in threading.enumerate()}
    lines = []
    for key, lock in locks.items():
        owner = ""
        if "owner=" in repr(lock):
            ident = int(repr(lock).split("owner=")[1].split()[0])
            owner = f", owned by {threads.get(ident, ident)}"
        lines.append(
            f"  {type(lock).__name__} known as {', '.join(sorted(names[key]))}: locked{owner}"
        )
    return "Held locks:\n" + ("\n".join(lines) if lines else "  none found by name")


def _is_locked(lock: Any) -> bool:
    locked = getattr(lock, "locked", None)
    if locked is not None:
        return bool(locked())
    return "<locked" in repr(lock)  # RLock before 3.14 has no locked()


def _report_held_locks(signum: int, frame: object) -> None:
    sys.stderr.write("\n" + held_locks() + "\n")
    sys.stderr.flush()


def main(argv: list[str]) -> int:
    global _current
    target, runs, interval, noise, seed = (
        argv[0],
        int(argv[1]),
        float(argv[2]),
        float(argv[3]),
        int(argv[4]),
    )
    params = json.loads(argv[5]) if len(argv) > 5 else {}
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the parent's watchdog asks
    signal.signal(signal.SIGUSR2, _report_held_locks)  # ... and then this
    # The protocol keeps the real stdout; whatever the scenario prints goes nowhere.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    scenario = load(target)
    if interval > 0:
        sys.setswitchinterval(interval)
    threading.Thread.run = _run  # type: ignore[method-assign]
    thread_errors: list[BaseException] = []
    threading.excepthook = lambda args: thread_errors.append(args.exc_value)  # type: ignore[arg-type]
    parties = 0
    for i in range(runs):
        rng = random.Random(seed + i)
        _current = _Run(parties)
        thread_errors.clear()
        if noise > 0:
            tracer = _noise_tracer(noise, rng)
            threading.settrace(tracer)
            sys.settrace(tracer)
        begin = time.perf_counter()
        try:
            scenario(**params)
            outcome = "thread exception" if thread_errors else "ok"
            detail = repr(thread_errors[0]) if thread_errors else ""
        except AssertionError as exc:
            outcome, detail = "assertion", str(exc)
        except Exception as exc:  # noqa: BLE001 - any exception is an outcome
            outcome, detail = "exception", f"{type(exc).__name__}: {exc}"
        finally:
            sys.settrace(None)
            threading.settrace(None)
        seconds = time.perf_counter() - begin
        run = _current
        if i == 0:
            parties = run.started
        print(
            json.dumps(
                {
                    "run": i,
                    "outcome": outcome,
                    "detail": detail[:200],
                    "threads": run.started,
                    "overlap": _overlapped(run.intervals),
                    "seconds": seconds,
                }
            ),
            file=protocol,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
