"""Stress mode's harness: run a scenario many times on real threads, setting by setting.

Every batch of runs lives in a child process (``races.stress.child``) behind a watchdog,
because real threads deadlock for real. When a run takes longer than ``timeout``, the
watchdog asks the child for a dump of every thread's stack (faulthandler), records the
run as ``hang`` with that dump, kills the child, and goes on with the remaining runs in a
fresh one; the dump also lists the locks that are held, by name. Children are killed on
every way out, Ctrl-C included, together with every process they started (each child
leads its own process group).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from races.stress.histogram import DEFAULT_SETTINGS, Histogram, RunResult, Setting
from races.vocabulary.errors import InvalidArgument


def stress(
    target: str,
    *,
    runs: int = 100,
    settings: Sequence[Setting] = DEFAULT_SETTINGS,
    timeout: float = 10.0,
    seed: int = 0,
    max_hangs: int | None = None,
    stop_on: Collection[str] = (),
    seconds: float | None = None,
    on_run: Callable[[Histogram], None] | None = None,
) -> list[Histogram]:
    """Run ``target`` (``module:function``) ``runs`` times per setting on real threads.

    Stop rules, each stated in the histogram when it applies: ``max_hangs`` ends a setting
    after that many hung runs (each costs ``timeout``); ``stop_on`` ends it at the first
    run with one of those outcomes (the evidence was wanted, not the frequency);
    ``seconds`` is a time budget shared equally by the settings. ``on_run`` is given the
    setting's histogram after each run (``races stress``'s progress).
    """
    if runs < 1:
        raise InvalidArgument(f"runs must be at least 1, not {runs}")
    share = None if seconds is None else seconds / max(1, len(settings))
    rules = _StopRules(max_hangs, frozenset(stop_on), share)
    histograms: list[Histogram] = []
    for setting in settings:
        histogram = Histogram(setting, planned=runs)
        histograms.append(histogram)
        try:
            _stress_setting(target, histogram, timeout, seed, rules, on_run)
        except KeyboardInterrupt:
            histogram.stopped = "interrupted (Ctrl-C)"
            raise StressInterrupted(histograms) from None
    return histograms


class StressInterrupted(KeyboardInterrupt):
    """Ctrl-C: ``histograms`` holds what was measured, the last one cut short."""

    def __init__(self, histograms: list[Histogram]) -> None:
        last = histograms[-1]
        super().__init__(
            f"stress interrupted at {last.setting}, after {len(last.runs)} run(s) of it"
        )
        self.histograms = histograms


@dataclass(frozen=True)
class _StopRules:
    max_hangs: int | None
    stop_on: frozenset[str]
    seconds: float | None

    def why(self, histogram: Histogram, started: float) -> str:
        """The stop rule that ends this setting now, in words, or ""."""
        hangs = histogram.counts["hang"]
        if self.max_hangs is not None and hangs >= self.max_hangs:
            return f"stopped after {hangs} hang(s), {histogram.planned - len(histogram.runs)} run(s) not made"
        last = histogram.runs[-1].outcome if histogram.runs else None
        if last in self.stop_on:
            return f"stopped at the first {last}, in run {len(histogram.runs)}"
        spent = time.perf_counter() - started
        if self.seconds is not None and histogram.runs and spent >= self.seconds:
            return (
                f"stopped at its {self.seconds:.0f} s time budget after {len(histogram.runs)} "
                f"of {histogram.planned} runs"
            )
        return ""


def _stress_setting(
    target: str,
    histogram: Histogram,
    timeout: float,
    seed: int,
    rules: _StopRules,
    on_run: Callable[[Histogram], None] | None = None,
) -> None:
    start = time.perf_counter()
    runs = histogram.planned

    def stop() -> bool:
        histogram.stopped = rules.why(histogram, start)
        return bool(histogram.stopped)

    try:
        while len(histogram.runs) < runs and not stop():
            done = len(histogram.runs)
            _batch(
                target,
                runs - done,
                histogram.setting,
                timeout,
                seed + done,
                histogram,
                stop,
                on_run,
            )
    finally:
        histogram.seconds = time.perf_counter() - start


def _batch(
    target: str,
    runs: int,
    setting: Setting,
    timeout: float,
    seed: int,
    histogram: Histogram,
    stop: Callable[[], bool] = lambda: False,
    on_run: Callable[[Histogram], None] | None = None,
) -> None:
    """One child process: runs until it finishes, or until a run hangs."""

    def add(run: RunResult) -> None:
        histogram.runs.append(run)
        if on_run is not None:
            on_run(histogram)

    command = [
        sys.executable,
        "-m",
        "races.stress.child",
        target,
        str(runs),
        str(setting.interval),
        str(setting.noise),
        str(seed),
        json.dumps(dict(setting.params)),
    ]
    # Ctrl-C held back while the child is forked: arriving during the interpreter's
    # after-fork hooks (logging's), its KeyboardInterrupt would be printed as "ignored"
    # and lost. It is handled as soon as the child exists; the child gets the mask back.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: _prepare_child(mask),
            # Its own process group: the processes the scenario starts (which outlive a
            # killed parent, blocked on a pipe) are killed with it.
            start_new_session=True,
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    histogram.children.append(child.pid)
    assert child.stdout is not None and child.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    try:
        deadline = time.monotonic() + timeout
        done = 0
        while done < runs:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                add(RunResult("hang", False, timeout, threads=_threads_hint(histogram)))
                histogram.hang_reports.append(_dump_and_kill(child))
                return
            line = child.stdout.readline()
            if not line:  # the child died: report how, and count the run as such
                child.wait()
                add(
                    RunResult(
                        "crash",
                        False,
                        0.0,
                        f"exit code {child.returncode}: {child.stderr.read()[-500:]}",
                    )
                )
                return
            record = json.loads(line)
            add(
                RunResult(
                    record["outcome"],
                    record["overlap"],
                    record["seconds"],
                    record["detail"],
                    record["threads"],
                )
            )
            done += 1
            if done < runs and stop():
                return  # the child is killed below, with whatever it was running
            deadline = time.monotonic() + timeout
        try:
            child.wait(timeout=timeout)  # every run is reported: let it exit on its own
        except subprocess.TimeoutExpired:
            pass
    finally:
        # Whatever is left of the group goes, the scenario's own processes included. (A pid
        # that is still some group's id is not reused, so the reaped leader's is safe.)
        selector.close()
        _kill_group(child)
        child.wait()
        _wait_until_gone(child.pid)
        child.stdout.close()
        child.stderr.close()


def _threads_hint(histogram: Histogram) -> int:
    """How many threads a hung run probably had: as many as the runs before it."""
    return histogram.runs[-1].threads if histogram.runs else 0


def _dump_and_kill(child: subprocess.Popen[str]) -> str:
    """Ask a hung child for every thread's stack and the held locks, then kill it."""
    assert child.stderr is not None
    fd = child.stderr.fileno()
    os.set_blocking(fd, False)
    waiting = selectors.DefaultSelector()
    waiting.register(child.stderr, selectors.EVENT_READ)
    dump: list[str] = []
    # faulthandler writes every stack from its C signal handler at once, however stuck the
    # threads are. The held-lock report needs the main thread to run Python, which an
    # interrupted lock.acquire() or join() allows, though not always on the first signal:
    # ask again until it comes, within a bound.
    os.kill(child.pid, signal.SIGUSR1)
    stop = time.monotonic() + 5.0
    while "Held locks:" not in "".join(dump) and time.monotonic() < stop:
        os.kill(child.pid, signal.SIGUSR2)
        while waiting.select(timeout=0.3):
            chunk = os.read(fd, 65536)
            if not chunk:
                stop = 0.0  # the child is gone
                break
            dump.append(chunk.decode(errors="replace"))
    waiting.close()
    _kill_group(child)
    child.wait()
    return "".join(dump)


def _kill_group(child: subprocess.Popen[str]) -> None:
    """Kill the child and every process it started, whatever state they are in."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # everyone has exited already


def _wait_until_gone(group: int, timeout: float = 5.0) -> None:
    """Return once no process of the group runs any more (Linux; elsewhere at once).

    SIGKILL is delivered to each process of the group in its own time: the scenario's own
    processes may still be dying when their killed leader has been reaped.
    """
    deadline = time.monotonic() + timeout
    while _group_runs(group) and time.monotonic() < deadline:
        time.sleep(0.005)


def _group_runs(group: int) -> bool:
    """Whether /proc shows a process of the group that is not dead (a zombie runs nothing)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return False
    for entry in entries:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it ended while we looked
            if int(fields[2]) == group and fields[0] not in "ZX":
                return True
    return False


def _prepare_child(mask: Collection[int]) -> None:
    """In the forked child, before it runs the stress child: the parent's signal mask,
    and (Linux) death with the parent."""
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if sys.platform.startswith("linux"):
        _die_with_parent()


def _die_with_parent() -> None:
    """Linux: the child gets SIGKILL if races dies, so no orphan outlives it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
