"""Greenlet scenarios are explored in a child process that gevent has monkey-patched.

``gevent.monkey.patch_all()`` rewrites ``time``, ``socket``, ``threading`` and friends for
the whole process, must come before anything else uses them, and cannot be undone. So
``explore`` and ``replay`` never patch the caller's process: they write a ``ChildRequest``
(what to run: the scenario's module and name; how: explore or replay, and their options)
and start ``python -c "from gevent import monkey; monkey.patch_all(); ..."``, which
imports the scenario by name and runs the core's exploration there, on a
``GreenletSession``. The ``Result`` comes back pickled, and errors are raised again in the
caller. The child's output goes where the caller's goes.

A watchdog thread (a real one, from before patching) ends the child if no greenlet
switch happens for ``watchdog`` seconds: a greenlet that never waits starves all the
others, and the report shows the stack it is spinning in.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from races.core.result import Result
from races.core.sites import is_races_internal
from races.core.targets import load, target_of
from races.vocabulary.errors import (
    MissingDependencyError,
    RacesError,
    UncontrolledBlockingError,
)
from races.vocabulary.schedule import Schedule

if TYPE_CHECKING:
    from races.core.strategies.base import StrategyOptions

_BOOT = (
    "from gevent import monkey; monkey.patch_all(); "
    "from races.runtimes.gevent.child import main; main()"
)


@dataclass(frozen=True)
class ChildRequest:
    """What the child runs (the scenario, by module and name), and how.

    ``mode`` is "explore" (search with ``strategy`` built from ``options``, up to
    ``budget`` runs, then shrink for ``shrink_time`` seconds), "replay" (``schedule``) or
    "detect" (one run, each greenlet as far as it goes, and what its accesses predict).
    """

    mode: Literal["explore", "replay", "detect"]
    target: str  # "module:qualname"
    max_steps: int
    watch: tuple[str, ...]
    watchdog: float
    strategy: str = ""
    options: StrategyOptions | None = None
    budget: int = 0
    shrink_time: float = 0.0
    schedule: Schedule | None = None

    @classmethod
    def explore(
        cls,
        scenario: Callable[[], object],
        *,
        strategy: str,
        options: StrategyOptions,
        budget: int,
        max_steps: int,
        watch: tuple[str, ...],
        watchdog: float,
        shrink_time: float,
    ) -> ChildRequest:
        return cls(
            "explore",
            target_of(scenario),
            max_steps,
            watch,
            watchdog,
            strategy=strategy,
            options=options,
            budget=budget,
            shrink_time=shrink_time,
        )

    @classmethod
    def replay(
        cls,
        scenario: Callable[[], object],
        *,
        schedule: Schedule,
        max_steps: int,
        watch: tuple[str, ...],
        watchdog: float,
    ) -> ChildRequest:
        return cls("replay", target_of(scenario), max_steps, watch, watchdog, schedule=schedule)

    @classmethod
    def detect(
        cls, scenario: Callable[[], object], *, max_steps: int, watchdog: float
    ) -> ChildRequest:
        return cls("detect", target_of(scenario), max_steps, (), watchdog)


def require_gevent() -> None:
    if find_spec("gevent") is None:
        raise MissingDependencyError(
            "exploring greenlets needs gevent, which is not installed: "
            "pip install gevent (or pip install 'races[gevent]')"
        )


def run(request: ChildRequest) -> Result:
    """Carry out ``request`` in a monkey-patched child and return its result."""
    require_gevent()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), *sys.path] if p)
    # gevent's pure-Python build: its primitives are classes races can wrap to see how
    # they order greenlets (the compiled ones cannot be patched).
    env["GEVENT_PURE_PYTHON"] = "1"
    with tempfile.TemporaryDirectory(prefix="races-greenlets-") as tmp:
        asked, answer = Path(tmp, "request"), Path(tmp, "result")
        asked.write_bytes(pickle.dumps(request))
        child = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(asked), str(answer)],
            env=env,
            start_new_session=True,  # so Ctrl-C here, handled below, kills all of it
        )
        try:
            code = child.wait()
        finally:
            _kill(child)
        if not answer.exists():
            raise RacesError(
                f"the child process that explores greenlets ended with exit code {code} "
                "before it reported; its output above says why"
            )
        status, payload = pickle.loads(answer.read_bytes())
    if status == "error":
        raise payload
    assert isinstance(payload, Result)
    return payload


def _kill(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()


def main() -> None:
    """The child: read the request, carry it out, write back the result or the error."""
    asked, answer = Path(sys.argv[1]), Path(sys.argv[2])
    request: ChildRequest = pickle.loads(asked.read_bytes())
    _start_watchdog(request.watchdog, answer)
    try:
        payload: tuple[str, Any] = ("ok", _carry_out(request))
        failure = payload[1].failure
        if failure is not None:
            failure.exception = _picklable(failure.exception)
    except BaseException as exc:  # noqa: BLE001 - every error goes back to the caller
        payload = ("error", _picklable(exc))
    answer.write_bytes(pickle.dumps(payload))


def _carry_out(request: ChildRequest) -> Result:
    from races.core.exploration import Exploration, detect_in, replay_in
    from races.core.strategies.registry import make_strategy
    from races.runtimes.gevent.session import GreenletSession

    scenario = load(request.target)
    session = GreenletSession(scenario, max_steps=request.max_steps, watchdog=request.watchdog)
    with session:
        if request.mode == "detect":
            return detect_in(session, scenario)
        if request.mode == "replay":
            assert request.schedule is not None
            return replay_in(session, scenario, request.schedule, request.watch)
        assert request.options is not None
        exploration = Exploration(
            scenario,
            make_strategy(request.strategy, request.options),
            seed=request.options.seed,
            watch=request.watch,
            shrink_time=request.shrink_time,
        )
        return exploration.run(session, request.budget)


def _picklable(exc: BaseException | None) -> Any:
    if exc is None:
        return None
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - whatever cannot travel is described instead
        return RacesError(f"{type(exc).__name__}: {exc}")
    return exc.with_traceback(None)


def _start_watchdog(seconds: float, answer: Path) -> None:
    from gevent import monkey

    from races.runtimes.gevent.session import GreenletSession

    start_new_thread = monkey.get_original("_thread", "start_new_thread")
    sleep = monkey.get_original("time", "sleep")
    main_thread = monkey.get_original("_thread", "get_ident")()

    def watch() -> None:
        last = None
        while True:
            sleep(seconds)
            progress = GreenletSession.progress()
            if progress != last:
                last = progress
                continue
            frame = sys._current_frames().get(main_thread)
            frames = traceback.extract_stack(frame) if frame is not None else []
            # The greenlet's own frames: races' trace hooks are not where it was.
            mine = [f for f in frames if not is_races_internal(f.filename)]
            stack = "".join(traceback.format_list(mine))
            error = UncontrolledBlockingError(
                f"a greenlet ran for {seconds:g} s without switching to another: it never "
                "waits (a busy loop starves every other greenlet), or it blocks in a call "
                f"gevent does not patch. It was here:\n{stack}"
            )
            answer.write_bytes(pickle.dumps(("error", error)))
            os._exit(3)

    start_new_thread(watch, ())
