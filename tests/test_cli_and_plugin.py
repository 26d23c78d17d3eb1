"""The command line and the pytest plugin, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from races import cli

pytest_plugins = ["pytester"]


def test_explore_reports_a_failure_with_exit_code_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["explore", "tests.scenarios:single_line_counter", "--strategy", "dfs"])
    out = capsys.readouterr().out
    assert code == cli.EXIT_FAILURE_FOUND
    assert "lost update: counter is 1" in out
    assert (
        out.strip()
        .splitlines()[-1]
        .startswith("To replay: races.replay(tests.scenarios.single_line_counter, ")
    )


def test_explore_of_a_correct_scenario_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["explore", "tests.scenarios:locked_counter", "--strategy", "dfs"])
    assert code == cli.EXIT_OK
    assert "no failure in all" in capsys.readouterr().out


def test_replay_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["explore", "tests.scenarios:two_line_counter", "--granularity", "line"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    schedule = line.rsplit(", ", 1)[1].rstrip(")").strip("'")
    code = cli.main(["replay", "tests.scenarios:two_line_counter", schedule, "--watch", "counter"])
    assert code == cli.EXIT_FAILURE_FOUND
    assert "| counter" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explore", "tests.scenarios"], "name it as module:function"),
        (["explore", "no_such_module_xyz:f"], "cannot import 'no_such_module_xyz'"),
        (["explore", "tests.scenarios:nope"], "has no attribute 'nope'"),
        (
            ["replay", "tests.scenarios:single_line_counter", "garbage"],
            "malformed schedule 'garbage'",
        ),
        (["stress", "async_lost_update"], "coroutines never preempt each other"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("races: error: ") and message in err


def test_races_detect_fails_a_passing_test_that_races(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading

        hits = {}
        lock = threading.Lock()

        def count(key):
            if key not in hits:
                hits[key] = 0
            hits[key] += 1

        def count_locked(key):
            with lock:
                hits[key] = hits.get(key, 0) + 1

        def run(target):
            hits.clear()
            threads = [threading.Thread(target=target, args=("a",)) for _ in range(2)]
            for t in threads: t.start()
            for t in threads: t.join()

        def test_racy_but_passes():
            run(count)
            assert hits == {"a": 2}  # it passes: the threads ran one after the other

        def test_locked(tmp_path):
            run(count_locked)
            assert hits == {"a": 2}
        """
    )
    plain = pytester.runpytest_inprocess("-p", "no:randomly")
    plain.assert_outcomes(passed=2)
    detected = pytester.runpytest_inprocess("-p", "no:randomly", "--races-detect")
    detected.assert_outcomes(passed=1, failed=1)
    detected.stdout.fnmatch_lines(
        [
            "*RaceFailure: lost update in *test_racy_but_passes*: *both read `hits?'a'?`*",
            "*Lost update (predicted*",
            "*To rerun it under the scheduler: races.replay(*",
        ]
    )


LOCKS_IN_TWO_TESTS = """
    import threading

    a, b = threading.Lock(), threading.Lock()

    def in_a_thread(first, second):
        def take():
            with first:
                with second:
                    pass
        worker = threading.Thread(target=take)
        worker.start()
        worker.join()

    def test_a_then_b():
        in_a_thread(a, b)

    def test_b_then_a():
        in_a_thread(b, a)

    def test_a_then_b_again():
        in_a_thread(a, b)
"""


def test_races_detect_finds_a_lock_cycle_across_tests(pytester: pytest.Pytester) -> None:
    """Each test takes the two locks in one order: each passes, and the run fails for the
    cycle they make together."""
    pytester.makepyfile(LOCKS_IN_TWO_TESTS)
    plain = pytester.runpytest_inprocess("-p", "no:randomly")
    assert plain.ret == pytest.ExitCode.OK
    detected = pytester.runpytest_inprocess("-p", "no:randomly", "--races-detect")
    detected.assert_outcomes(passed=3)
    assert detected.ret == pytest.ExitCode.TESTS_FAILED
    detected.stdout.fnmatch_lines(
        [
            "*races: lock-order inversions across tests*",
            "Lock-order inversion: 2 locks are taken in orders that form a cycle*",
        ]
    )
    edges = [line for line in detected.outlines if "took the lock of `with second:`" in line]
    assert len(edges) == 2
    assert any("test_a_then_b" in line for line in edges)  # either a-then-b test
    assert any("test_b_then_a" in line for line in edges)
    detected.stdout.fnmatch_lines(["Each test passes alone*The run fails."])


def test_races_detect_finds_a_lock_cycle_across_xdist_workers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LOCKS_IN_TWO_TESTS)
    detected = pytester.runpytest_subprocess("-p", "no:randomly", "--races-detect", "-n", "2")
    assert detected.ret == pytest.ExitCode.TESTS_FAILED, detected.stdout.str()
    detected.stdout.fnmatch_lines(["*races: lock-order inversions across tests*"])


def test_one_order_across_tests_is_no_cycle(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LOCKS_IN_TWO_TESTS.replace("in_a_thread(b, a)", "in_a_thread(a, b)"))
    detected = pytester.runpytest_inprocess("-p", "no:randomly", "--races-detect")
    assert detected.ret == pytest.ExitCode.OK
    assert "lock-order" not in detected.stdout.str()


def test_the_marker_runs_a_test_under_the_scheduler(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading
        import pytest

        total = 0

        def add():
            global total
            value = total
            total = value + 1

        @pytest.mark.races(strategy="dfs")
        def test_lost_update():
            global total
            total = 0
            threads = [threading.Thread(target=add) for _ in range(2)]
            for t in threads: t.start()
            for t in threads: t.join()
            assert total == 2

        @pytest.mark.races(strategy="dfs")
        def test_locked():
            lock = threading.Lock()
            box = [0]
            def add_locked():
                with lock:
                    box[0] += 1
            threads = [threading.Thread(target=add_locked) for _ in range(2)]
            for t in threads: t.start()
            for t in threads: t.join()
            assert box[0] == 2
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RaceFailure: lost update in *test_lost_update*",
            "*Lost update: Thread-1 (add) read `total`*",
            "*To replay: races.replay(*",
        ]
    )


def test_the_marker_runs_a_gevent_test_in_a_patched_child(pytester: pytest.Pytester) -> None:
    pytest.importorskip("gevent", reason="exploring greenlets needs gevent: pip install gevent")
    pytester.makepyfile(
        """
        import time
        import gevent
        import pytest

        total = 0

        def add():
            global total
            value = total
            time.sleep(0.01)  # patched in the child: it switches greenlets
            total = value + 1

        @pytest.mark.races(granularity="greenlet", strategy="dfs")
        def test_lost_update():
            global total
            total = 0
            gevent.joinall([gevent.spawn(add) for _ in range(2)])
            assert total == 2

        @pytest.mark.races(granularity="greenlet")
        def test_with_a_fixture(tmp_path):
            pass
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*RaceFailure: lost update in *test_lost_update*",
            "*greenlet@*",
            "*fixtures (tmp_path) cannot follow it*",
        ]
    )


def test_the_marker_is_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.races(strategy='random'*"])


def test_races_cases_collects_every_variant_as_a_test(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        "--races-cases", "-k", "lock_reentry or lost_wakeup", "-v"
    )
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        ["*races::lock_reentry::broken PASSED*", "*races::lost_wakeup::fixed PASSED*"]
    )


LONG_EXPLORATION = """
import threading
import races

def scenario():
    lock = threading.Lock()
    total = []

    def add():
        for _ in range(3):
            with lock:
                total.append(1)

    workers = [threading.Thread(target=add) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(total) == 9

def test_long():
    races.explore(scenario, strategy="dfs", budget=None)  # far more than a second's work
"""


@pytest.mark.parametrize("method", ["signal", "thread"])
def test_pytest_timeout_stops_an_exploration_saying_how_far_it_got(
    pytester: pytest.Pytester, method: str
) -> None:
    """Threads races did not start keep real time: pytest-timeout's own timer fires at its
    limit, whichever method it uses, and races says how far the exploration had got."""
    pytester.makepyfile(LONG_EXPLORATION)
    # pytest-timeout takes a sys.monitoring tool in slot 0 for a debugger, and then never
    # fires: the inner run is bounded here, so that mistake fails rather than hangs.
    run = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--timeout=1", f"--timeout-method={method}", timeout=60
    )
    assert run.ret != pytest.ExitCode.OK
    run.stdout.fnmatch_lines(
        [
            "races: the test's time limit stopped the exploration: no failure of "
            "test_pytest_timeout_stops_*.scenario in the * schedules run so far (dfs)"
        ]
    )
    if method == "signal":  # the test fails and the session goes on to report it
        run.stdout.fnmatch_lines(["*Failed: Timeout (>1.0s) from pytest-timeout*"])


# ---------------------------------------------------------------------------- --json


def _json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_explore_and_replay_print_one_json_object_with_the_same_verdict_as_the_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = "tests.scenarios:two_line_counter"
    assert (
        cli.main(["explore", target, "--json", "--granularity", "line"]) == cli.EXIT_FAILURE_FOUND
    )
    (found,) = _json_lines(capsys.readouterr().out)
    assert found["failed"] is True and found["kind"] == "assertion"
    assert found["pattern"] == "lost update" and found["schedules"] >= 1
    assert found["schedule"].startswith("line@") and found["seconds"] >= 0
    assert cli.main(["replay", target, found["schedule"], "--json"]) == cli.EXIT_FAILURE_FOUND
    (again,) = _json_lines(capsys.readouterr().out)
    assert again["failed"] and again["schedule"] == found["schedule"]
    assert cli.main(["explore", "tests.scenarios:locked_counter", "--json"]) == cli.EXIT_OK
    (passed,) = _json_lines(capsys.readouterr().out)
    assert passed["failed"] is False and passed["kind"] is None


def test_detect_is_a_command_and_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["detect", "tests.scenarios:single_line_counter", "--json"])
    (result,) = _json_lines(capsys.readouterr().out)
    assert code == cli.EXIT_FAILURE_FOUND
    assert result["strategy"] == "detect" and result["kind"] == "race"
    assert [f["pattern"] for f in result["findings"]] == ["lost update"]


def test_run_and_stress_print_one_json_object_per_variant(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["run", "lock_reentry", "--json", "--jobs", "1"]) == cli.EXIT_OK
    rows = _json_lines(capsys.readouterr().out)
    assert [(r["variant"], r["verdict"]) for r in rows] == [
        ("broken", "bug shown"),
        ("fixed_rlock", "fix holds"),
        ("fixed_unlocked_helpers", "fix holds"),
    ]
    assert rows[0]["result"]["pattern"] == "self-deadlock"
    stress = ["stress", "lock_reentry", "--variant", "broken", "--runs", "2", "--timeout", "1"]
    code = cli.main([*stress, "--json"])
    (stressed,) = _json_lines(capsys.readouterr().out)
    assert code == cli.EXIT_OK
    assert stressed["verdict"] == "bug shown" and stressed["as_declared"] is True
    assert stressed["settings"][0]["setting"] == "default switch interval"
    assert "hang" in stressed["settings"][0]["outcomes"]


def test_races_exec_runs_a_script_with_the_birth_of_each_lock_on_record(tmp_path: Path) -> None:
    (tmp_path / "library.py").write_text("import threading\n\nLOCK = threading.Lock()\n")
    script = tmp_path / "script.py"
    script.write_text(
        "import sys\n"
        "import library\n"
        "from races.runtimes.threads import births\n"
        "print(births.where(library.LOCK))\n"
        "print(sys.argv)\n"
        "sys.exit(3)\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "races", "exec", str(script), "a", "--b"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stderr  # the script's own exit status
    assert run.stdout.splitlines() == [
        f"{tmp_path / 'library.py'}:3 (<module>)",
        str([str(script), "a", "--b"]),
    ]


def test_races_exec_reports_the_scripts_error_as_python_does(tmp_path: Path) -> None:
    script = tmp_path / "fails.py"
    script.write_text("def main():\n    raise ValueError('the script is wrong')\n\nmain()\n")
    run = subprocess.run(
        [sys.executable, "-m", "races", "exec", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "ValueError: the script is wrong" in run.stderr and "Traceback" in run.stderr
    assert "internal error" not in run.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["exec", "no_such_script.py"], "no script 'no_such_script.py'"),
        (["exec", "-m", "no_such_module_xyz"], "no module named 'no_such_module_xyz'"),
    ],
)
def test_races_exec_of_nothing_runnable_is_a_usage_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == cli.EXIT_USAGE
    assert message in capsys.readouterr().err


def test_races_exec_runs_a_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["exec", "-m", "calendar", "2026", "12"]) == cli.EXIT_OK
    assert "December 2026" in capsys.readouterr().out
