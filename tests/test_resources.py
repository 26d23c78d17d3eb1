"""Long explorations keep threads and memory flat, and races' own failures are its own.

``nox -s bench`` runs the same measurement over 20,000 schedules and prints it.
"""

from __future__ import annotations

import gc
import os
import threading
from typing import Any

import pytest

import races
from races import cli
from races.core.strategies.random import RandomChooser
from races.runtimes.threads import execution
from races.runtimes.threads import session as session_module
from races.runtimes.threads.session import Session
from races.vocabulary.errors import InternalError

pytest_plugins = ["pytester"]

# ----------------------------------------------------------------- flat resources


def process_status() -> dict[str, int]:
    """Threads, and VmSize and VmRSS in kB, from /proc/self/status."""
    wanted = {"Threads", "VmSize", "VmRSS"}
    found = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in wanted:
                found[key] = int(value.split()[0])
    return found


class LockedCounter:
    """A correct counter: three threads, each taking the lock once."""

    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def work(self) -> None:
        for _ in range(1):
            with self.lock:
                self.value += 1


_samples: dict[int, dict[str, int]] = {}
_calls = 0
WARM_UP, LAST = 300, 2300


def counted_locked_counter() -> None:
    global _calls
    _calls += 1
    if _calls in (WARM_UP, LAST):
        _samples[_calls] = process_status()
    counter = LockedCounter()
    threads = [threading.Thread(target=counter.work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.value == 3


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads Linux's /proc")
def test_thousands_of_schedules_keep_threads_and_memory_flat() -> None:
    global _calls
    _calls = 0
    _samples.clear()
    result = races.explore(counted_locked_counter, strategy="random", budget=LAST)
    assert not result.failed
    before, after = _samples[WARM_UP], _samples[LAST]
    # An OS thread may still be exiting when its run is over (a run starts four): a leak
    # would keep one per schedule, 2,000 here.
    assert after["Threads"] - before["Threads"] <= 4, (before, after)
    assert after["VmRSS"] - before["VmRSS"] < 5_000, (before, after)
    # A thread whose stack is kept costs 8 MB of address space: 2,000 schedules of four
    # threads would add 64 GB. What may still appear is one of the C allocator's arenas
    # (64 MB each, a bounded number per core) the first time threads overlap that much.
    assert after["VmSize"] - before["VmSize"] < 140_000, (before, after)


class _SavingCollector:
    """The session's ``gc``, whose collections keep what they find for the test to see."""

    def __init__(self) -> None:
        self.found: list[list[str]] = []  # each collection's finds, by type

    def collect(self, generation: int = 2) -> int:
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            count = gc.collect(generation)
        finally:
            gc.set_debug(0)
        self.found.append([type(o).__name__ for o in gc.garbage])
        gc.garbage.clear()
        return count

    def __getattr__(self, name: str) -> Any:
        return getattr(gc, name)


def test_a_run_is_freed_by_reference_counting_not_left_to_the_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Garbage collection is off while a session runs; what a run leaves in reference
    cycles waits for the collection between runs, which costs in proportion. A run's own
    records (its execution, its threads' records and trace functions) are in none."""
    collector = _SavingCollector()
    monkeypatch.setattr(session_module, "gc", collector)
    gc.collect()  # the test runner's own garbage
    with Session(counted_locked_counter) as session:
        for seed in range(5):
            session.run(RandomChooser(seed))
    # A collection before each run; what the first run leaves may be its caches settling.
    assert len(collector.found) == 5
    later = {name for found in collector.found[2:] for name in found}
    ours = {"Execution", "ControlledThread", "Thread", "Lock", "function", "cell"}
    assert ours.isdisjoint(later), sorted(later)


# ----------------------------------------------------------------- races' own errors


@pytest.fixture
def threads_run_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The third OS thread a run asks for cannot be started, as when the machine is out."""
    real = execution.Execution._start_os_thread
    started = 0

    def start(self: execution.Execution, rec: object, body: object, args: object) -> None:
        nonlocal started
        started += 1
        if started == 3:
            raise RuntimeError("can't start new thread")
        real(self, rec, body, args)  # type: ignore[arg-type]

    # The fault is part of races, not of the code under test: no switch points in it.
    start.__code__ = start.__code__.replace(co_filename="<injected fault>")
    monkeypatch.setattr(execution.Execution, "_start_os_thread", start)


def two_workers() -> None:
    threads = [threading.Thread(target=lambda: None) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.usefixtures("threads_run_out")
def test_running_out_of_threads_is_races_error_not_the_scenarios_failure() -> None:
    with pytest.raises(InternalError, match="can't start new thread") as info:
        races.explore(two_workers, budget=5)
    assert "ran out of resources" in str(info.value)


def test_a_slip_in_races_own_code_is_its_error_not_the_scenarios(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in races' access model, met while it reads what the program's instruction
    touches, surfaces in the program's frame; it is still races' error, not a failure of
    the scenario (and not the program's AttributeError)."""
    from races.core import access, sites

    def slip(frame: object, offset: int) -> object:
        return sites.short_path(None)  # type: ignore[arg-type]  # AttributeError, in races

    monkeypatch.setattr(access.ACCESSES, "accesses", slip)
    with pytest.raises(InternalError, match="AttributeError") as info:
        races.explore(_shared_increment, budget=5)
    assert "this is a bug in races, not in your code" in str(info.value)


def test_a_slip_in_races_own_code_under_a_task_is_its_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from races.core import access, sites

    def slip(frame: object, offset: int) -> object:
        return sites.short_path(None)  # type: ignore[arg-type]  # AttributeError, in races

    monkeypatch.setattr(access.ACCESSES, "accesses", slip)
    with pytest.raises(InternalError, match="AttributeError"):
        races.explore(_task_increment, budget=5)


counter = 0


async def _task_increment() -> None:
    global counter
    counter += 1


def _shared_increment() -> None:
    global counter
    counter += 1


@pytest.mark.usefixtures("threads_run_out")
def test_the_command_line_reports_an_internal_error_with_its_own_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["explore", "tests.test_resources:two_workers", "--budget", "5"])
    assert code == cli.EXIT_INTERNAL == 4
    err = capsys.readouterr().err
    assert err.startswith("races: internal error: races failed while")
    assert "Traceback" not in err


@pytest.mark.usefixtures("threads_run_out")
def test_races_run_reports_an_internal_error_on_its_row_and_runs_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["run", "join_under_lock", "--jobs", "1"])
    assert code == cli.EXIT_INTERNAL
    out = capsys.readouterr().out
    assert "join_under_lock.broken (broken): internal error" in out
    assert "races failed while" in out and "Traceback" not in out
    assert "bug shown" not in out  # an error of races is never a verdict on the lesson


def test_a_marked_test_reports_races_internal_error_as_such(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from races.runtimes.threads import execution

        @pytest.fixture(autouse=True)
        def out_of_threads(monkeypatch):
            def start(self, rec, body, args):
                raise RuntimeError("can't start new thread")
            monkeypatch.setattr(execution.Execution, "_start_os_thread", start)
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.races(budget=3)
        def test_anything():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*races: internal error (not a verdict on this test)*"])
    assert "Traceback" not in result.stdout.str()
