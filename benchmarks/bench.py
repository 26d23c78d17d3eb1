"""``nox -s bench``: what races costs and how fast it finds bugs, measured in one run.

Everything is measured in this process, one after the other, so the ratios printed at the
end compare like with like on this machine. The peer, frontrun, is run in a child process
under its own ``frontrun`` launcher (it preloads a library), with the same scenario.

Run it as ``python -m benchmarks.bench`` (``--quick`` for a smoke run, ``--json`` for data).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import races
from benchmarks.libraries import library_costs
from races.core.strategies.base import default_choice
from races.runtimes.threads import births
from races.runtimes.threads.session import Session
from races.vocabulary.outcome import Position

# --------------------------------------------------------------------- scenarios

counter = 0
_lock_a = threading.Lock()
_lock_b = threading.Lock()


def _run(*targets: Callable[[], object]) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _inc() -> None:
    global counter
    counter += 1


def _inc_two_lines() -> None:
    global counter
    value = counter
    counter = value + 1


def single_line_counter() -> None:
    global counter
    counter = 0
    _run(_inc, _inc)
    assert counter == 2


def two_line_counter() -> None:
    global counter
    counter = 0
    _run(_inc_two_lines, _inc_two_lines)
    assert counter == 2


def locked_counter() -> None:
    global counter
    counter = 0
    lock = threading.Lock()

    def inc() -> None:
        global counter
        with lock:
            counter += 1

    _run(inc, inc)
    assert counter == 2


class Counter:
    """The plain class-with-a-lock users write: what the DPOR comparison explores."""

    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def increment(self) -> None:
        with self.lock:
            self.value += 1


def locked_counter_nk(threads: int, sections: int) -> Callable[[], None]:
    """``threads`` threads, each ``sections`` critical sections on one counter."""

    def scenario() -> None:
        state = Counter()

        def work() -> None:
            for _ in range(sections):
                state.increment()

        _run(*[work] * threads)
        assert state.value == threads * sections

    scenario.__qualname__ = f"locked_counter_{threads}x{sections}"
    return scenario


def _ab() -> None:
    with _lock_a, _lock_b:
        pass


def _ba() -> None:
    with _lock_b, _lock_a:
        pass


def ab_ba_deadlock() -> None:
    _run(_ab, _ba)


def check_then_act_dict() -> None:
    stock = {"apples": 1}

    def buy() -> None:
        if stock["apples"] > 0:
            stock["apples"] -= 1

    _run(buy, buy)
    assert stock["apples"] >= 0


def ping_pong(iterations: int) -> Callable[[], None]:
    def scenario() -> None:
        box = [0]

        def work() -> None:
            for _ in range(iterations):
                box[0] += 1

        _run(work, work)

    return scenario


def single_thread_loop(iterations: int) -> Callable[[], None]:
    def scenario() -> None:
        total = 0
        for i in range(iterations):
            total += i

    return scenario


# races does not trace its own package; these scenarios live in it, so include them.
INCLUDE = (__file__,)

BROKEN = {
    "single-line counter": single_line_counter,
    "two-line counter": two_line_counter,
    "AB/BA deadlock": ab_ba_deadlock,
    "check-then-act dict": check_then_act_dict,
}

# --------------------------------------------------------------------- measurements


class AlwaysSwitch:
    """Hands over to another thread at every decision: a handoff per switch point."""

    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        others = [t for t in enabled if t != current]
        return others[0] if others else default_choice(enabled, current)


class KeepRunning:
    def choose(self, step: int, enabled: Sequence[int], current: int | None, at: Position) -> int:
        return default_choice(enabled, current)


def os_thread_floor(rounds: int, cpu: int | None = None) -> float:
    """Handoffs per second of two raw threads ping-ponging on two locks: what any
    scheduler that runs each controlled thread on its own OS thread can at best reach.
    With ``cpu``, both threads run on that CPU alone, as races' controlled threads do
    (``races.runtimes.threads.affinity``)."""
    import _thread

    a, b, done = _thread.allocate_lock(), _thread.allocate_lock(), _thread.allocate_lock()
    for lock in (a, b, done):
        lock.acquire()

    def pin() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, (cpu,))

    def first() -> None:
        pin()
        for _ in range(rounds):
            b.release()
            a.acquire()
        b.release()

    def second() -> None:
        pin()
        for _ in range(rounds):
            b.acquire()
            a.release()
        done.release()

    start = time.perf_counter()
    _thread.start_new_thread(second, ())
    _thread.start_new_thread(first, ())
    done.acquire()
    return 2 * rounds / (time.perf_counter() - start)


def handoffs_per_second(tracing: str, iterations: int) -> float:
    scenario = ping_pong(iterations)
    with Session(scenario, tracing=tracing, max_steps=10**7, include=INCLUDE) as session:  # type: ignore[arg-type]
        start = time.perf_counter()
        outcome = session.run(AlwaysSwitch())
        elapsed = time.perf_counter() - start
    handoffs = sum(1 for d in outcome.decisions if d.chosen != d.default or d.preemption)
    return handoffs / elapsed


def tracing_slowdown(tracing: str, iterations: int) -> tuple[float, float]:
    """(traced / untraced time, nanoseconds per switch point) for a one-thread loop."""
    scenario = single_thread_loop(iterations)
    start = time.perf_counter()
    for _ in range(5):
        scenario()
    untraced = (time.perf_counter() - start) / 5
    with Session(scenario, tracing=tracing, max_steps=10**8, include=INCLUDE) as session:  # type: ignore[arg-type]
        session.run(KeepRunning())  # warm the caches
        start = time.perf_counter()
        outcome = None
        for _ in range(5):
            outcome = session.run(KeepRunning())
        traced = (time.perf_counter() - start) / 5
    assert outcome is not None
    return traced / untraced, (traced - untraced) / outcome.steps * 1e9


def cpu_bound_threads(iterations: int) -> Callable[[], None]:
    """Two threads that compute, and share a locked total: a CPU-bound threaded test."""

    def scenario() -> None:
        lock = threading.Lock()
        box = {"total": 0}

        def work() -> None:
            local = 0
            for i in range(iterations):
                local += i * i
            with lock:
                box["total"] += local

        _run(work, work)
        assert box["total"] == 2 * sum(i * i for i in range(iterations))

    return scenario


def _best(run: Callable[[], object], runs: int) -> float:
    """The fastest of ``runs`` runs, in seconds (as ``timeit`` advises: slower runs measure
    the machine's other work, not this)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def birth_records_cost(iterations: int, runs: int = 15) -> dict[str, tuple[float, float]]:
    """Seconds of three lock-heavy programs on real threads, outside any exploration:
    without birth records and with them (``races exec``, the pytest plugin), the two
    measured in turn, best of ``runs``. A lock made with records on is the real lock, so
    only making one costs more."""
    import queue

    def counter() -> None:
        lock, total = threading.Lock(), [0]
        for _ in range(iterations):
            with lock:
                total[0] += 1

    def pipeline() -> None:
        jobs: queue.Queue[int] = queue.Queue()
        for i in range(iterations // 10):
            jobs.put(i)  # each put and get takes the queue's lock and notifies a condition
            jobs.get()

    def making() -> None:
        for _ in range(iterations // 10):
            threading.Lock()
            threading.RLock()

    seconds: dict[str, tuple[float, float]] = {}
    for name, program in (("counter", counter), ("pipeline", pipeline), ("making", making)):
        times: dict[bool, list[float]] = {False: [], True: []}
        for run in range(runs):
            for recording in (run % 2 == 0, run % 2 == 1):  # each goes first in turn
                if recording:
                    births.install()
                try:
                    times[recording].append(_best(program, 1))
                finally:
                    if recording:
                        births.uninstall()
        seconds[name] = (min(times[False]), min(times[True]))
    return seconds


def access_model_cost(iterations: int, runs: int = 5) -> dict[str, float]:
    """Seconds per run of the CPU-bound test: plain, traced for switch points alone,
    traced with the access model, and with the happens-before analysis of its log."""
    from races.core.detect import analyse

    scenario = cpu_bound_threads(iterations)
    seconds: dict[str, float] = {"plain": _best(scenario, runs)}
    for label, accesses in (("tracing", False), ("accesses", True)):
        with Session(scenario, max_steps=10**8, include=INCLUDE, accesses=accesses) as session:
            outcome = session.run(KeepRunning())  # warm the caches
            seconds[label] = _best(lambda: session.run(KeepRunning()), runs)
    start = time.perf_counter()
    findings = analyse(outcome)
    seconds["analysis"] = time.perf_counter() - start
    assert not findings, "the locked total is not a race"
    return seconds


def detect_cost(iterations: int, runs: int = 5) -> dict[str, float]:
    """Seconds per run of the CPU-bound test, plain and under ``races.detect`` (on real
    threads, and on threads the scheduler runs one at a time)."""
    scenario = cpu_bound_threads(iterations)
    seconds: dict[str, float] = {"plain": _best(scenario, runs)}
    for label, threads in (("detect", "real"), ("detect_scheduled", "scheduled")):

        def detect(threads: str = threads) -> None:
            result = races.detect(scenario, threads=threads, include=INCLUDE, max_steps=10**8)  # type: ignore[arg-type]
            assert not result.failed, result.render()

        seconds[label] = _best(detect, runs)
    return seconds


def access_model_search_cost(scenario: Callable[[], None], budget: int) -> dict[str, float]:
    """Seconds for ``budget`` random schedules of a scenario that touches shared data at
    nearly every step: switch points alone, with the access model, and with each run's
    happens-before analysis (what ``explore`` does)."""
    from races.core.detect import analyse
    from races.core.strategies.base import StrategyOptions
    from races.core.strategies.registry import strategy_class

    seconds: dict[str, float] = {}
    for label in ("tracing", "accesses", "analysed"):
        strategy = strategy_class("random").create(StrategyOptions(seed=0))
        with Session(scenario, include=INCLUDE, accesses=label != "tracing") as session:

            def run(chooser: Any, session: Session = session, label: str = label) -> Any:
                outcome = session.run(chooser)
                if label == "analysed":
                    analyse(outcome)
                return outcome

            start = time.perf_counter()
            strategy.search(run, budget)
            seconds[label] = time.perf_counter() - start
    return seconds


def schedules_per_second(scenario: Callable[[], None], budget: int) -> float:
    start = time.perf_counter()
    result = races.explore(scenario, strategy="random", seed=0, budget=budget, include=INCLUDE)
    elapsed = time.perf_counter() - start
    assert not result.failed, result.render()
    return result.schedules / elapsed


def schedules_to_failure(
    scenario: Callable[[], None], strategy: str, seeds: int
) -> tuple[float, float]:
    """(median schedules to the first failure, median seconds for explore incl. shrinking)."""
    counts, times = [], []
    for seed in range(1 if strategy == "dfs" else seeds):
        start = time.perf_counter()
        result = races.explore(
            scenario, strategy=strategy, seed=seed, budget=5000, database=None, include=INCLUDE
        )
        times.append(time.perf_counter() - start)
        counts.append(result.found_after if result.found_after is not None else float("nan"))
    return statistics.median(counts), statistics.median(times)


def frontrun_peer(budget: int) -> dict[str, Any] | None:
    """Run the same locked counter under frontrun's launcher; None if it is not installed."""
    launcher = shutil.which("frontrun")
    if launcher is None:
        return None
    code = f"from benchmarks.bench import _frontrun_child; _frontrun_child({budget})"
    proc = subprocess.run(
        [launcher, sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            return dict(json.loads(line))
    return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}


def _frontrun_child(budget: int) -> None:
    import frontrun

    class State:
        def __init__(self) -> None:
            self.value = 0
            self.lock = threading.Lock()

    def inc(state: State) -> None:
        with state.lock:
            state.value += 1

    def holds(state: State) -> bool:
        return state.value == 2

    start = time.perf_counter()
    result = frontrun.explore(
        setup=State, workers=[inc, inc], invariant=holds, strategy="random", max_attempts=budget
    )
    random_time = time.perf_counter() - start
    start = time.perf_counter()
    dpor = frontrun.explore(setup=State, workers=[inc, inc], invariant=holds, strategy="dpor")
    dpor_time = time.perf_counter() - start
    print(
        json.dumps(
            {
                "random_schedules": result.num_explored,
                "random_seconds": random_time,
                "dpor_executions": dpor.num_explored,
                "dpor_seconds": dpor_time,
            }
        )
    )


def sleepers(threads: int) -> Callable[[], None]:
    """N threads each sleep, then decrement a shared count: found at once, large to shrink."""

    def scenario() -> None:
        count = [threads]

        def worker() -> None:
            time.sleep(0.001)
            value = count[0]
            count[0] = value - 1

        _run(*[worker] * threads)
        assert count[0] == 0, f"count is {count[0]}"

    return scenario


def report_times(sizes: Sequence[int]) -> list[dict[str, Any]]:
    """Explore-to-report time of the sleepers scenario, by thread count."""
    rows = []
    for threads in sizes:
        start = time.perf_counter()
        result = races.explore(sleepers(threads), include=INCLUDE)
        seconds = time.perf_counter() - start
        assert result.failed, result.render()
        rows.append(
            {
                "threads": threads,
                "steps": len(result.trace or ()),
                "seconds": seconds,
                "replays": result.shrink_replays,
                "preemptions": result.preemptions,
                "stopped": result.shrink_stopped,
            }
        )
    return rows


class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def work(self) -> None:
        for _ in range(1):
            with self.lock:
                self.value += 1


def _status() -> dict[str, int]:
    found = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Threads", "VmSize", "VmRSS"):
                found[key] = int(value.split()[0])
    return found


def resources_over(schedules: int, marks: Sequence[int]) -> dict[int, dict[str, int]]:
    """Threads, VmSize and VmRSS (kB) at the given schedule numbers of one long random
    search of a correct three-thread locked counter."""
    samples: dict[int, dict[str, int]] = {}
    calls = 0

    def scenario() -> None:
        nonlocal calls
        calls += 1
        if calls in marks:
            samples[calls] = _status()
        counter = _Counter()
        _run(*[counter.work] * 3)
        assert counter.value == 3

    result = races.explore(scenario, strategy="random", budget=schedules, include=INCLUDE)
    assert not result.failed, result.render()
    return samples


def dpor_row(threads: int, sections: int, peer: bool) -> dict[str, Any]:
    """races dpor (and frontrun's, in its launcher) on one size of the locked counter."""
    traces = math.factorial(threads * sections) // math.factorial(sections) ** threads
    before = _status().get("VmRSS", 0)
    start = time.perf_counter()
    result = races.explore(locked_counter_nk(threads, sections), strategy="dpor", include=INCLUDE)
    row: dict[str, Any] = {
        "size": f"{threads}x{sections}",
        "traces": traces,
        "races_schedules": result.schedules,
        "races_seconds": time.perf_counter() - start,
        "races_proved": result.summary.startswith("proved"),
        "races_rss_growth_kb": _status().get("VmRSS", 0) - before,
    }
    start = time.perf_counter()
    split = races.explore(
        locked_counter_nk(threads, sections), strategy="dpor", include=INCLUDE, workers=2
    )
    row["races_2_workers_schedules"] = split.schedules
    row["races_2_workers_seconds"] = time.perf_counter() - start
    row["races_2_workers_proved"] = split.summary.startswith("proved")
    if peer:
        row.update(frontrun_dpor(threads, sections))
    return row


def frontrun_dpor(threads: int, sections: int, timeout: float = 300) -> dict[str, Any]:
    """frontrun's DPOR on the same counter, in its launcher; what it explored and took."""
    launcher = shutil.which("frontrun")
    if launcher is None:
        return {"frontrun": "not installed"}
    code = (
        f"from benchmarks.bench import _frontrun_dpor_child; "
        f"_frontrun_dpor_child({threads}, {sections})"
    )
    try:
        proc = subprocess.run(
            [launcher, sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"frontrun": f"no answer in {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            return dict(json.loads(line))
    return {
        "frontrun": "failed: " + " ".join((proc.stderr or proc.stdout).strip().splitlines()[-1:])
    }


def _frontrun_dpor_child(threads: int, sections: int) -> None:
    import frontrun

    def work(state: Counter) -> None:
        for _ in range(sections):
            state.increment()

    def holds(state: Counter) -> bool:
        return state.value == threads * sections

    start = time.perf_counter()
    result = frontrun.explore(
        setup=Counter, workers=[work] * threads, invariant=holds, strategy="dpor"
    )
    print(
        json.dumps(
            {
                "frontrun_executions": result.num_explored,
                "frontrun_seconds": time.perf_counter() - start,
            }
        )
    )


def lessons_to_failure(seeds: int) -> list[dict[str, Any]]:
    """For each broken lesson the scheduler runs on threads or tasks: the schedules dpor
    needs to show its bug, against random's median over ``seeds`` seeds."""
    from races.catalogue.registry import load_catalogue

    rows = []
    for case in load_catalogue().ordered():
        if case.needs is not None or case.runtime not in ("threads", "asyncio") or case.missing():
            continue
        granularity: Any = case.granularity if case.runtime == "threads" else "instruction"
        for variant in case.broken:
            module = case.module(variant)
            if hasattr(module, "setup"):
                module.setup()
            found = {}
            for strategy, runs in (("dpor", 1), ("random", seeds)):
                counts = []
                for seed in range(runs):
                    result = races.explore(
                        module.scenario,
                        strategy=strategy,
                        seed=seed,
                        budget=3000,
                        detect=False,
                        exclude=case.exclude,
                        granularity=granularity,
                        shrink_time=0,
                    )
                    counts.append(result.found_after or float("nan"))
                found[strategy] = statistics.median(counts)
            rows.append({"lesson": f"{case.name}.{variant}", **found})
    return rows


# --------------------------------------------------------------------- report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON too")
    args = parser.parse_args(argv)
    quick = args.quick
    report: dict[str, Any] = {"python": platform.python_version()}
    mechanisms = ["settrace"] + (["monitoring"] if hasattr(sys, "monitoring") else [])
    print(
        f"races {races.__version__} benchmark on Python {platform.python_version()}, "
        f"{platform.machine()}"
    )

    print("\nHandoffs between controlled threads (every switch point hands over)")
    rounds = 1000 if quick else 10_000
    floor = os_thread_floor(rounds)
    report["os_thread_floor"] = floor
    print(f"  {'raw floor':<11} {floor:>10,.0f} handoffs/s (two bare OS threads, two locks)")
    basis = "the floor"
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) > 1:  # where races pins its threads to one CPU (Linux, more than one CPU)
        floor = os_thread_floor(rounds, cpus[0])
        report["os_thread_floor_one_cpu"] = floor
        basis = "the one-CPU floor"
        print(f"  {'on one CPU':<11} {floor:>10,.0f} handoffs/s (the same, both on one CPU)")
    for mechanism in mechanisms:
        rate = handoffs_per_second(mechanism, 200 if quick else 3000)
        report[f"handoffs_per_second_{mechanism}"] = rate
        print(f"  {mechanism:<11} {rate:>10,.0f} handoffs/s ({rate / floor:.0%} of {basis})")

    print("\nTracing cost without switching (one thread, a loop of additions)")
    for mechanism in mechanisms:
        ratio, ns = tracing_slowdown(mechanism, 2000 if quick else 50_000)
        report[f"slowdown_{mechanism}"] = ratio
        print(f"  {mechanism:<11} {ratio:>6.1f}x the untraced run, {ns:,.0f} ns per switch point")

    iterations = 2000 if quick else 20_000
    print(f"\nAccess model and detection (two threads, {iterations:,} additions each, a lock)")
    cost = access_model_cost(iterations)
    report["access_model"] = cost
    print(
        f"  CPU-bound test: switch points alone {cost['tracing']:.3f} s; with the access model "
        f"{cost['accesses']:.3f} s ({cost['accesses'] / cost['tracing']:.2f}x, goal <= 2x); "
        f"analysis {cost['analysis']:.3f} s"
    )
    search = access_model_search_cost(locked_counter, 100 if quick else 500)
    report["access_model_search"] = search
    print(
        f"  locked counter, random schedules: switch points alone {search['tracing']:.2f} s; "
        f"with the access model {search['accesses']:.2f} s "
        f"({search['accesses'] / search['tracing']:.2f}x, goal <= 2x); and analysed "
        f"{search['analysed']:.2f} s ({search['analysed'] / search['tracing']:.2f}x)"
    )
    iterations = 20_000 if quick else 200_000
    cost = detect_cost(iterations)
    report["detect"] = cost
    print(
        f"  races.detect of the CPU-bound test ({iterations:,} additions a thread) on real "
        f"threads {cost['detect']:.3f} s against a plain run's {cost['plain']:.4f} s "
        f"({cost['detect'] / cost['plain']:.0f}x, goal <= 10x); scheduled "
        f"(threads='scheduled') {cost['detect_scheduled']:.3f} s "
        f"({cost['detect_scheduled'] / cost['plain']:.0f}x)"
    )

    iterations = 20_000 if quick else 1_000_000
    print(
        "\nBirth records outside explorations (races exec, the pytest plugin): lock-heavy "
        "programs on real threads, without and with them (goal: under 5%)"
    )
    records = birth_records_cost(iterations)
    report["birth_records"] = records
    what = {
        "counter": f"{iterations:,} additions under one lock",
        "pipeline": f"{iterations // 10:,} items put in a queue.Queue and taken out",
        "making": f"{iterations // 10:,} Locks and RLocks made (the worst case)",
    }
    for name, (without, with_records) in records.items():
        print(
            f"  {name:<9} {without:.3f} s, with records {with_records:.3f} s "
            f"({with_records / without - 1:+.1%}): {what[name]}"
        )

    schedules = 5 if quick else 200  # schedules vary in cost: the mean of many
    print(
        f"\nReal libraries, and two threads that do nothing: a random search's schedules "
        f"against a plain run (the first, and "
        f"each later one of {schedules}; goal <= 10x, and 2,000 schedules under 30 s)"
    )
    libraries = library_costs(schedules, runs=20 if quick else 200)
    report["libraries"] = libraries
    for name, cost in libraries.items():
        print(
            f"  {name:<9} plain {cost['plain'] * 1000:6.3f} ms; first schedule "
            f"{cost['first'] * 1000:7.1f} ms; each later one {cost['schedule'] * 1000:7.3f} ms "
            f"({cost['schedule'] / cost['plain']:,.1f}x); 2,000 schedules at those rates "
            f"{cost['projected_2000']:,.0f} s"
        )

    budget = 50 if quick else 500
    print(f"\nSchedules per second (random strategy, {budget} schedules of a correct scenario)")
    for name, scenario in {"locked counter": locked_counter}.items():
        rate = schedules_per_second(scenario, budget)
        report["schedules_per_second"] = rate
        print(f"  {name:<22} {rate:>8,.0f} schedules/s")

    seeds = 2 if quick else 5
    print(f"\nSchedules to the first failure (median over {seeds} seeds; dfs is deterministic)")
    print(
        f"  {'scenario':<22}" + "".join(f"{s:>14}" for s in ("random", "pct", "dfs", "hypothesis"))
    )
    for name, scenario in BROKEN.items():
        cells = []
        for strategy in ("random", "pct", "dfs", "hypothesis"):
            count, seconds = schedules_to_failure(scenario, strategy, seeds)
            report[f"to_failure:{name}:{strategy}"] = {"schedules": count, "seconds": seconds}
            cells.append(f"{count:>6g} ({seconds:4.2f}s)")
        print(f"  {name:<22}" + "".join(f"{c:>14}" for c in cells))

    peer_budget = 50 if quick else 200
    print(f"\nPeer: frontrun, locked two-thread counter, {peer_budget} random schedules")
    peer = frontrun_peer(peer_budget)
    report["frontrun"] = peer
    if peer is None:
        print("  frontrun is not installed (it is in the 'bench' dependency group)")
    elif "error" in peer:
        print(f"  frontrun failed: {peer['error']}")
    else:
        peer_rate = peer["random_schedules"] / peer["random_seconds"]
        ours = schedules_per_second(locked_counter, peer_budget)
        report["random_throughput_ratio"] = ours / peer_rate
        print(
            f"  frontrun random: {peer_rate:,.0f} schedules/s; races random: {ours:,.0f} "
            f"schedules/s ({ours / peer_rate:.1f}x)"
        )
        dfs = races.explore(locked_counter, strategy="dfs", include=INCLUDE)
        print(
            f"  frontrun dpor proves it in {peer['dpor_executions']} executions "
            f"({peer['dpor_seconds'] * 1000:.0f} ms); races dfs runs {dfs.schedules} "
            "schedules (no partial-order reduction)"
        )
        report["dfs_schedules_locked_counter"] = dfs.schedules

    sizes_nk = (
        [(2, 1), (2, 2), (3, 1)] if quick else [(2, 1), (2, 2), (3, 1), (3, 2), (4, 1), (3, 3)]
    )
    print("\nProofs: N threads x K critical sections of a locked counter, dpor against frontrun's")
    print(
        f"  {'N x K':<6} {'traces':>7} {'races dpor':>20} {'2 workers':>20} "
        f"{'frontrun dpor':>24} {'races RSS':>10}"
    )
    report["dpor"] = []
    for threads, sections in sizes_nk:
        row = dpor_row(threads, sections, peer=True)
        report["dpor"].append(row)
        mine = f"{row['races_schedules']:,} in {row['races_seconds']:.2f} s"
        split = f"{row['races_2_workers_schedules']:,} in {row['races_2_workers_seconds']:.2f} s"
        if "frontrun_executions" in row:
            peer_cell = f"{row['frontrun_executions']:,} in {row['frontrun_seconds']:.2f} s"
        else:
            peer_cell = str(row.get("frontrun", ""))
        print(
            f"  {row['size']:<6} {row['traces']:>7,} {mine:>20} {split:>20} {peer_cell:>24} "
            f"{row['races_rss_growth_kb'] / 1024:>+8.1f} MB"
            + ("" if row["races_proved"] and row["races_2_workers_proved"] else "  (not proved)")
        )

    seeds = 2 if quick else 5
    print(f"\nSchedules to each broken lesson's bug: dpor against random (median of {seeds} seeds)")
    lessons = lessons_to_failure(seeds)
    report["lessons_to_failure"] = lessons
    for row in lessons:
        print(f"  {row['lesson']:<44} dpor {row['dpor']:>6g}   random {row['random']:>6g}")
    dpor_median = statistics.median(row["dpor"] for row in lessons)
    random_median = statistics.median(row["random"] for row in lessons)
    print(f"  median over the lessons: dpor {dpor_median:g}, random {random_median:g}")

    sizes = (10, 20) if quick else (10, 20, 40, 100)
    print("\nExplore to report: N threads sleep, then race on a count (found in 1 schedule)")
    print(f"  {'threads':>7} {'steps':>7} {'seconds':>8} {'s/1000 steps':>13} {'replays':>8}")
    times = report_times(sizes)
    report["report_times"] = times
    for row in times:
        per = row["seconds"] / row["steps"] * 1000
        note = f"  (shrinking stopped: {row['stopped']})" if row["stopped"] else ""
        print(
            f"  {row['threads']:>7} {row['steps']:>7} {row['seconds']:>8.2f} {per:>13.2f} "
            f"{row['replays']:>8}{note}"
        )

    if os.path.exists("/proc/self/status"):
        total = 2000 if quick else 20_000
        marks = sorted({1000, total // 4, total // 2, total})
        print(f"\nThreads and memory across {total:,} schedules (correct 3-thread counter)")
        samples = resources_over(total, marks)
        report["resources"] = samples
        first = samples[marks[0]]
        for mark in marks:
            now = samples[mark]
            print(
                f"  after {mark:>6,} schedules: {now['Threads']} threads, VmSize "
                f"{now['VmSize'] / 1024:,.0f} MB ({(now['VmSize'] - first['VmSize']) / 1024:+,.0f}), "
                f"RSS {now['VmRSS'] / 1024:,.1f} MB ({(now['VmRSS'] - first['VmRSS']) / 1024:+,.1f})"
            )
    if args.json:
        print(json.dumps(report, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
