"""The threads of a run share one CPU; nothing else moves (``races.runtimes.threads.affinity``)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest

import races
from races.runtimes.threads import affinity

CALLER_CPUS = frozenset(os.sched_getaffinity(0))

#: Whether races has a CPU to choose for its threads here (more than one to choose from).
CHOOSES = len(CALLER_CPUS) > 1


def _recording(runs: list[list[frozenset[int]]]) -> Callable[[], None]:
    """Three threads, two of them started by the first: each notes its CPUs."""

    def note(run: list[frozenset[int]]) -> None:
        run.append(frozenset(os.sched_getaffinity(0)))

    def scenario() -> None:
        run: list[frozenset[int]] = []
        runs.append(run)
        note(run)
        threads = [threading.Thread(target=note, args=(run,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return scenario


@pytest.fixture
def one_cpu() -> Iterator[int]:
    """The calling thread may use one CPU only, for the test's length."""
    cpu = min(CALLER_CPUS)
    os.sched_setaffinity(0, (cpu,))
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, CALLER_CPUS)


def test_the_threads_of_a_run_share_one_cpu_and_the_caller_keeps_its_own() -> None:
    runs: list[list[frozenset[int]]] = []
    result = races.explore(_recording(runs), strategy="random", budget=20, database=None)
    assert not result.failed, result.render()
    assert len(runs) == 20
    for run in runs:
        assert len(run) == 3
        if CHOOSES:
            assert len(run[0]) == 1 and run[0] <= CALLER_CPUS, run
        else:
            assert run[0] == CALLER_CPUS, run
        assert run == [run[0]] * 3, run  # the threads it starts inherit the first one's
    assert frozenset(os.sched_getaffinity(0)) == CALLER_CPUS
    assert not affinity._pinned  # every thread that ended was forgotten


def test_a_caller_on_one_cpu_has_nothing_to_choose(one_cpu: int) -> None:
    assert affinity.choose() is None
    runs: list[list[frozenset[int]]] = []
    result = races.explore(_recording(runs), strategy="random", budget=5, database=None)
    assert not result.failed, result.render()
    assert runs and all(run == [frozenset({one_cpu})] * 3 for run in runs)
    assert frozenset(os.sched_getaffinity(0)) == {one_cpu}


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_process_forked_by_a_pinned_thread_gets_the_callers_cpus_back() -> None:
    pin = affinity.choose() if CHOOSES else affinity.Pin(CALLER_CPUS)
    assert pin is not None and pin.allowed == CALLER_CPUS
    read, write = os.pipe()
    seen: dict[str, object] = {}

    def pinned_thread() -> None:
        seen["cpu"] = pin.first()
        seen["pinned"] = frozenset(os.sched_getaffinity(0))
        pid = os.fork()
        if pid == 0:  # the child: say what it may use, and go
            os.write(write, repr(sorted(os.sched_getaffinity(0))).encode())
            os._exit(0)
        seen["status"] = os.waitpid(pid, 0)[1]
        affinity.ended(threading.get_ident())

    thread = threading.Thread(target=pinned_thread)
    thread.start()
    thread.join()
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read()
    assert seen["pinned"] == {seen["cpu"]}
    assert seen["status"] == 0
    assert child == repr(sorted(CALLER_CPUS))
    assert not affinity._pinned
