"""Greenlet scenarios are explored in a child process that gevent has monkey-patched.

``gevent.monkey.patch_all()`` rewrites ``time``, ``socket``, ``threading`` and friends for
the whole process, must come before anything else uses them, and cannot be undone. So
``explore`` and ``replay`` never patch the caller's process: they start
``python -c "from gevent import monkey; monkey.patch_all(); ..."``, which imports the
scenario by name and runs the very same ``explore`` or ``replay`` there, with a
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
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from races.errors import RacesError, UncontrolledBlockingError

#: True in the child process, where greenlet scenarios run.
INSIDE = False

_BOOT = (
    "from gevent import monkey; monkey.patch_all(); "
    "from races.scheduler.greenlet_child import main; main()"
)


class MissingDependencyError(RacesError, ImportError):
    """An optional dependency races needs for this is not installed."""


def require_gevent() -> None:
    if find_spec("gevent") is None:
        raise MissingDependencyError(
            "exploring greenlets needs gevent, which is not installed: "
            "pip install gevent (or pip install 'races[gevent]')"
        )


def run_in_child(mode: str, scenario: Callable[[], object], kwargs: dict[str, Any]) -> Any:
    """Run ``races.explorer.<mode>(scenario, **kwargs)`` in a monkey-patched child."""
    require_gevent()
    request = {"mode": mode, "target": _target(scenario), "kwargs": kwargs}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), *sys.path] if p)
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
    return payload


def _kill(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        child.wait()


def _target(scenario: Callable[[], object]) -> tuple[str, str]:
    function = getattr(scenario, "__func__", scenario)
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        raise RacesError(
            f"greenlet scenarios run in a child process with gevent's monkey patches, which "
            f"imports them by name, and {qualname or scenario!r} cannot be imported"
            f"{' (it is defined in __main__)' if module == '__main__' else ''}: define the "
            "scenario at the top level of an importable module"
        )
    return module, qualname


def _resolve(module: str, qualname: str) -> Callable[[], object]:
    found: Any = import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found  # type: ignore[no-any-return]


def main() -> None:
    """The child: read the request, run it, write back the result or the error."""
    global INSIDE
    INSIDE = True
    asked, answer = Path(sys.argv[1]), Path(sys.argv[2])
    request = pickle.loads(asked.read_bytes())
    from races import explorer

    kwargs = request["kwargs"]
    _start_watchdog(kwargs.get("watchdog", 10.0), answer)
    try:
        scenario = _resolve(*request["target"])
        payload: tuple[str, Any] = (
            "ok",
            getattr(explorer, request["mode"])(scenario, **kwargs),
        )
        if payload[1].failure is not None:
            payload[1].failure.exception = _picklable(payload[1].failure.exception)
    except BaseException as exc:  # noqa: BLE001 - every error goes back to the caller
        payload = ("error", _picklable(exc))
    answer.write_bytes(pickle.dumps(payload))


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

    from races.scheduler.greenlet_session import GreenletSession

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
            stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
            error = UncontrolledBlockingError(
                f"a greenlet ran for {seconds:g} s without switching to another: it never "
                "waits (a busy loop starves every other greenlet), or it blocks in a call "
                f"gevent does not patch. It was here:\n{stack}"
            )
            answer.write_bytes(pickle.dumps(("error", error)))
            os._exit(3)

    start_new_thread(watch, ())
