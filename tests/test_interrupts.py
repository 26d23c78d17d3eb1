"""Ctrl-C: every command stops at once, says how far it got, exits 130, leaves nothing.

The commands run in their own session, as a shell runs a job, and Ctrl-C is SIGINT sent to
the whole process group, as the terminal sends it. A test waits for a condition (the
worker process it is about to interrupt exists), never for time to pass.
"""

from __future__ import annotations

import _thread
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import races
from races import cli
from tests import scenarios

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc (Linux)")

# ----------------------------------------------------------------- the API

_calls = 0
_interrupt_at = 0


def interrupted_on_call() -> None:
    """A correct scenario, except that its ``_interrupt_at``-th run presses Ctrl-C."""
    global _calls
    _calls += 1
    if _calls == _interrupt_at:
        _thread.interrupt_main()  # Ctrl-C, delivered to the thread that called explore
        threading.Event().wait()
    scenarios.locked_counter()


def two_line_counter_interrupted() -> None:
    """Fails at once; its third run (the first shrinking replay on) presses Ctrl-C."""
    global _calls
    _calls += 1
    if _calls == _interrupt_at:
        _thread.interrupt_main()
        threading.Event().wait()
    scenarios.two_line_counter()


def test_ctrl_c_while_searching_says_how_many_schedules_ran() -> None:
    global _calls, _interrupt_at
    _calls, _interrupt_at = 0, 7
    with pytest.raises(races.Interrupted) as info:
        races.explore(interrupted_on_call, budget=100)
    message = str(info.value)
    assert "no failure of tests.test_interrupts.interrupted_on_call" in message
    assert "in the 6 schedules run so far (random, seed 0)" in message
    assert info.value.result is None


def test_ctrl_c_while_shrinking_keeps_the_failure_and_its_replay_line() -> None:
    global _calls, _interrupt_at
    _calls, _interrupt_at = 0, 0
    found = races.explore(two_line_counter_interrupted, seed=1)
    assert found.failed and found.found_after is not None
    _calls, _interrupt_at = 0, found.found_after + 2
    with pytest.raises(races.Interrupted) as info:
        races.explore(two_line_counter_interrupted, seed=1)
    message = str(info.value)
    assert "interrupted while shrinking a failure found after" in message
    assert "To replay (not yet confirmed): races.replay(" in message
    result = info.value.result
    assert result is not None and result.failed
    _interrupt_at = 0
    assert races.replay(two_line_counter_interrupted, result.schedule).failed


def test_races_explore_exits_130_with_a_message_and_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    global _calls, _interrupt_at
    _calls, _interrupt_at = 0, 3
    code = cli.main(["explore", "tests.test_interrupts:interrupted_on_call"])
    assert code == cli.EXIT_INTERRUPTED == 130
    err = capsys.readouterr().err
    assert err.startswith("races: interrupted: no failure")
    assert "Traceback" not in err


# ----------------------------------------------------------------- whole commands


def _group_alive(group: int) -> list[str]:
    """Command lines of the processes of ``group`` that still run (zombies do not)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] not in "ZX":
            alive.append(command)
    return alive


def _descendant_runs(root: int, marker: str) -> bool:
    """Whether a process started (at any depth) by ``root`` has ``marker`` in its command."""
    children: dict[int, list[int]] = {}
    commands: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                commands[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        children.setdefault(parent, []).append(int(entry))
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if marker in commands.get(pid, ""):
            return True
        todo += children.get(pid, [])
    return False


@pytest.fixture
def job(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:  # whatever happened, nothing of it outlives the test
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _interrupt_when(
    job: list[subprocess.Popen[str]], command: list[str], marker: str, cwd: Path | None = None
) -> tuple[int, str, str, float]:
    """Start ``command`` as a job, press Ctrl-C once a process running ``marker`` exists,
    and return its exit code, output, errors, and how long it took to stop."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=cwd,
    )
    job.append(process)
    deadline = time.monotonic() + 120
    while not _descendant_runs(process.pid, marker):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{marker} never started"
    pressed = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    stopped = time.monotonic() - pressed
    # Helpers that end when their parent does (multiprocessing's resource tracker) may
    # take a moment to see it: wait for the group to empty, within a bound.
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        pass
    assert _group_alive(process.pid) == [], "a process of the command outlived it"
    return process.returncode, out, err, stopped


def test_ctrl_c_stops_races_run_and_its_workers(job: list[subprocess.Popen[str]]) -> None:
    code, out, err, seconds = _interrupt_when(
        job,
        [sys.executable, "-m", "races", "run", "mp_value_unlocked", "daemon_thread_lost_work"],
        "races.stress.child",
    )
    assert code == 130, err
    assert "races: interrupted after" in err
    assert "Traceback" not in err + out
    assert seconds < 5  # within a second, here; a loaded machine may be slower


_STOPPED_INSIDE_A_CALLBACK = """
import atexit, os, signal, time, weakref
from races.catalogue import pool

pool._worker_signals()
atexit.register(print, "atexit ran", flush=True)

def callback(ref):
    os.kill(os.getpid(), signal.SIGTERM)  # the handler runs in the loop below
    for _ in range(1000):
        pass

class Thing:
    pass

thing = Thing()
ref = weakref.ref(thing, callback)
del thing  # the callback swallows what it raises
time.sleep(30)  # the stop comes back here, at once
print("the worker went on", flush=True)
"""


def test_a_worker_stopped_where_exceptions_are_swallowed_still_exits_quietly() -> None:
    # SIGTERM can land in a weakref callback or an after-fork hook of a pool worker, where
    # the interpreter prints "Exception ignored" for the SystemExit and goes on.
    done = subprocess.run(
        [sys.executable, "-c", _STOPPED_INSIDE_A_CALLBACK],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (128 + signal.SIGTERM, "")
    assert done.stdout == "atexit ran\n"


def test_ctrl_c_stops_races_stress_and_prints_what_it_measured(
    job: list[subprocess.Popen[str]],
) -> None:
    code, out, err, seconds = _interrupt_when(
        job,
        [sys.executable, "-m", "races", "stress", "lock_order_deadlock", "--variant", "fixed"],
        "races.stress.child",
    )
    assert code == 130, err
    assert "lock_order_deadlock.fixed" in out and "interrupted (Ctrl-C)" in out
    assert "races: interrupted while stressing lock_order_deadlock.fixed" in err
    assert "Traceback" not in err + out
    assert seconds < 5  # within a second, here; a loaded machine may be slower


def test_ctrl_c_stops_pytest_races_cases_with_exit_130(
    job: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    code, out, err, seconds = _interrupt_when(
        job,
        [
            sys.executable,
            "-m",
            "pytest",
            "--races-cases",
            "-p",
            "no:cacheprovider",
            "-k",
            "mp_value_unlocked",
            "-q",
        ],
        "races.stress.child",
        cwd=tmp_path,
    )
    assert code == 130, out + err
    assert "interrupted while showing mp_value_unlocked." in out
    assert seconds < 5  # within a second, here; a loaded machine may be slower


def test_a_signal_while_a_runs_threads_unwind_waits_until_they_have() -> None:
    """Ctrl-C (or pytest-timeout's SIGALRM) in the middle of unwinding a run would leave
    its threads parked for good: it is held until the unwinding is done. (In a process of
    its own: only a main thread handles signals, and a test runner's may not be this
    one.)"""
    code = """
import os, signal
from races.runtimes.threads.execution import _signals_deferred
unwound = False
try:
    with _signals_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # bytecodes the handler would otherwise interrupt
            pass
        unwound = True
except KeyboardInterrupt:
    print("interrupted after unwinding" if unwound else "interrupted while unwinding")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "interrupted after unwinding", done.stderr
