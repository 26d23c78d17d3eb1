"""The stress harness: outcomes, overlap evidence, hang isolation, verdicts.

These test the harness, so they use programs whose outcome is certain; the only real
race asserted is an overwhelming one (a read, a pause, a write: lost nearly every run).
"""

from __future__ import annotations

import os

import pytest

from races import cli
from races.catalogue import load_catalogue
from races.stress import Setting, stress, verdicts_for

ONE = [Setting()]


def _processes() -> list[tuple[int, str, int, bytes]]:
    """(pid, state, process group, command line) of every process, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read()
            except OSError:
                continue  # it ended while we looked
            found.append((int(entry), fields[0], int(fields[2]), cmdline))
    return found


def _alive_in_group(group: int) -> list[int]:
    """Processes of a process group that are not dead (killed processes may stay zombies
    until init reaps them; they run nothing)."""
    return [pid for pid, state, pgrp, _ in _processes() if pgrp == group and state not in "ZX"]


def test_outcomes_are_classified_and_scenario_output_is_ignored() -> None:
    (assertion,) = stress("tests.stress_targets:noisy_assertion", runs=3, settings=ONE)
    assert [r.outcome for r in assertion.runs] == ["assertion"] * 3
    assert assertion.runs[0].detail == "always wrong"
    (raised,) = stress("tests.stress_targets:thread_raises", runs=2, settings=ONE)
    assert [r.outcome for r in raised.runs] == ["thread exception"] * 2


def test_a_setting_stops_at_the_first_evidence_it_was_asked_for_and_says_so() -> None:
    two = [Setting(), Setting(interval=1e-6)]
    histograms = stress(
        "tests.stress_targets:noisy_assertion", runs=50, settings=two, stop_on={"assertion"}
    )
    for histogram in histograms:
        assert [r.outcome for r in histogram.runs] == ["assertion"]
        assert "stopped at the first assertion, in run 1" in histogram.render()


def test_a_time_budget_ends_a_setting_and_says_how_far_it_got() -> None:
    (histogram,) = stress(
        "tests.stress_targets:sequential_threads", runs=50, settings=ONE, seconds=0
    )
    assert len(histogram.runs) == 1  # a budget is checked after each run
    assert "stopped at its 0 s time budget after 1 of 50 runs" in histogram.render()


def test_races_stress_with_its_defaults_stops_a_broken_variant_at_its_first_evidence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["stress", "unlocked_counter", "--variant", "broken_pause"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.count("stopped at the first assertion, in run") == 3  # one per setting


def test_runs_whose_threads_never_overlapped_are_not_counted() -> None:
    (histogram,) = stress("tests.stress_targets:sequential_threads", runs=3, settings=ONE)
    assert [r.outcome for r in histogram.runs] == ["ok"] * 3
    assert histogram.evidence == []
    assert (
        "0 of 3 runs counted; 3 run(s) without overlapping threads not counted"
        in histogram.render()
    )


def test_a_hung_run_is_recorded_with_every_stack_and_its_child_is_gone() -> None:
    (histogram,) = stress("tests.stress_targets:self_deadlock", runs=2, settings=ONE, timeout=1.0)
    assert [r.outcome for r in histogram.runs] == ["hang", "hang"]
    assert len(histogram.children) == 2  # a fresh child after each hang
    assert all("in self_deadlock" in report for report in histogram.hang_reports)
    # ... and the locks held at that moment, by name.
    assert all(
        "Held locks:\n  lock known as lock (in self_deadlock): locked" in report
        for report in histogram.hang_reports
    )
    for pid in histogram.children:
        assert _alive_in_group(pid) == []  # the child's whole process group is gone


def test_processes_a_hung_scenario_started_are_killed_with_it() -> None:
    (histogram,) = stress(
        "races.cases.mp_queue_join_before_drain.broken:stress",
        runs=1,
        settings=[Setting(params=(("method", "fork"),))],
        timeout=3.0,
    )
    assert [r.outcome for r in histogram.runs] == ["hang"]
    (pid,) = histogram.children
    assert _alive_in_group(pid) == []  # the forked producer blocked on its pipe went with it


def test_a_read_pause_write_counter_loses_updates_in_most_real_runs() -> None:
    (histogram,) = stress(
        "races.cases.unlocked_counter.broken_pause:stress",
        runs=10,
        settings=[Setting(interval=1e-6)],
    )
    assert histogram.share("assertion") > 0.5


def test_verdicts_follow_the_declared_outcomes() -> None:
    case = load_catalogue().get("lock_order_deadlock")
    assert verdicts_for(case.outcomes, broken=True) == {
        "ok": "acceptable",
        "deadlock": "interesting",
        "hang": "interesting",
    }
    assert verdicts_for(case.outcomes, broken=False)["hang"] == "FORBIDDEN"


def test_races_stress_prints_a_histogram_with_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        [
            "stress",
            "lock_reentry",
            "--variant",
            "broken",
            "--runs",
            "1",
            "--timeout",
            "1",
            "--interval",
            "0.005",
        ]
    )
    assert code == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "lock_reentry.broken (scenario(), up to 1 runs each)" in out
    assert "hang" in out and "interesting" in out
    assert "first hang, every thread's stack:" in out and "in withdraw_fee" in out


def test_the_campaign_sets_stress_beside_the_scheduler() -> None:
    from races.stress.campaign import campaign, table

    rows = campaign(
        [("lock_reentry", "broken"), ("lock_reentry", "fixed_rlock")],
        runs=2,
        timeout=1.0,
        jobs=1,
        settings=ONE,
    )
    broken, fixed = rows
    assert broken.cells == ("2 of 2 counted runs (100%)",)  # every run hangs: it is certain
    assert broken.scheduler == "1 schedule(s)"
    assert fixed.forbidden_seen == 0 and fixed.scheduler == "fix holds"
    text = table(rows)
    assert text.splitlines()[0].split() == ["case", "variant", "default", "switching", "scheduler"]


def test_hypothesis_shrinks_a_failing_stress_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(
        [
            "stress",
            "unlocked_counter",
            "--variant",
            "broken_pause",
            "--runs",
            "10",  # an example fails if any run loses an update: nearly certain even here
            "--search",
            "threads=2..40",
            "--search",
            "times=1..5",
        ]
    )
    assert code == cli.EXIT_OK
    out = capsys.readouterr().out
    # A read, a pause and a write lose an update with two threads and one decrement each.
    assert "unlocked_counter.broken_pause: smallest failing configuration:" in out
    assert "threads=2, times=1" in out


def test_a_malformed_search_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stress", "unlocked_counter", "--search", "threads=8"]) == cli.EXIT_USAGE
    assert "write NAME=LOW..HIGH" in capsys.readouterr().err


def _processes_running(marker: str) -> list[int]:
    return [
        pid
        for pid, state, _, cmdline in _processes()
        if marker.encode() in cmdline and state not in "ZX"
    ]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds processes through /proc (Linux)")
def test_ctrl_c_leaves_no_stress_child_behind() -> None:
    import signal
    import subprocess
    import sys
    import time

    marker = "tests.stress_targets:hang_until_interrupted"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from races.stress import stress; stress({marker!r}, runs=1, timeout=600)",
        ],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while (
            not _processes_running(f"races.stress.child\0{marker}") and time.monotonic() < deadline
        ):
            assert parent.poll() is None, parent.stderr.read() if parent.stderr else ""
        assert _processes_running(f"races.stress.child\0{marker}"), "the stress child never started"
        parent.send_signal(signal.SIGINT)  # Ctrl-C
        assert parent.wait(timeout=60) != 0
        assert b"stress interrupted at" in (parent.stderr.read() if parent.stderr else b"")
        assert _processes_running(marker) == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stderr:
            parent.stderr.close()


def test_measured_numbers_replace_the_old_ones_at_the_end_of_the_docstring() -> None:
    from races.stress.campaign import MEASURED, CampaignRow, measured_section, with_measured

    row = CampaignRow(
        "unlocked_counter",
        "broken",
        True,
        ("0% of 3", "0% of 8", "100% of 20"),
        20,
        "7 schedule(s)",
    )
    source = '"""The lesson.\n\nWhat goes wrong.\n"""\n\nimport threading\n'
    once = with_measured(source, measured_section(row, 20))
    assert once.count(MEASURED) == 1
    assert "    noise 0.01            100% of 20" in once
    assert "    the scheduler         7 schedule(s)" in once
    assert once.endswith('"""\n\nimport threading\n') and once.startswith('"""The lesson.')
    again = with_measured(once, measured_section(row, 20))
    assert again == once


def test_a_setting_cut_short_says_which_stop_rule_ended_it() -> None:
    from races.stress.campaign import _cell

    stopped = "stopped after 2 hang(s), 18 run(s) not made"
    assert _cell(2, 2, 2, stopped) == "2 of 2 counted runs (100%); stopped after 2 hang(s)"
    assert _cell(0, 0, 20, "") == "no run counted (20 made, none with overlapping threads)"


def test_outcomes_are_named_by_the_value_their_runs_reported() -> None:
    from races.stress.histogram import VALUES_SHOWN, Histogram, RunResult, Setting

    histogram = Histogram(Setting(), planned=20)
    histogram.runs = [RunResult("ok", True, 0.1) for _ in range(3)]
    histogram.runs += [
        RunResult("assertion", True, 0.1, detail=f"count is {n}: {n} lost") for n in (1, 1, 2)
    ]
    histogram.runs += [
        RunResult("assertion", True, 0.1, detail=f"count is {n}: {n} lost")
        for n in range(10, 10 + VALUES_SHOWN)
    ]
    text = histogram.render({"ok": "acceptable", "assertion": "interesting"})
    rows = [line.strip().split("  ")[0] for line in text.splitlines()[2:-1]]
    assert rows[0] == "ok" and rows[1] == "assertion: count is 1: 1 lost"  # most common first
    assert len(rows) == 1 + VALUES_SHOWN + 1 and rows[-1] == "assertion: other values"
    counts = {line.strip().split("  ")[0]: line.split()[-3] for line in text.splitlines()[2:-1]}
    assert counts["assertion: count is 1: 1 lost"] == "2"
    assert counts["assertion: other values"] == "2"  # shown: 1, 2, 10, 11, 12; summed: 13, 14


def test_the_campaign_measures_a_task_lesson_by_its_searches() -> None:
    from races.stress.campaign import campaign, measured_section

    (row,) = campaign([("async_lost_update", "broken")], runs=2, timeout=5.0, jobs=1)
    assert row.cells == ("never preempts",) * 3  # real switching changes nothing for tasks
    assert row.searches[0] == ("default order", "shown (assertion)")
    assert [label for label, _ in row.searches[1:]] == ["random, seed 0", "pct, seed 0", "dpor"]
    assert all(result.endswith("schedule(s)") for _, result in row.searches[1:])
    section = measured_section(row, 2)
    assert "tasks switch only where they wait" in section and "    dpor  " in section


def test_a_process_lesson_is_stressed_under_each_start_method_apart() -> None:
    from races.cases.mp_value_unlocked import broken
    from races.cases.unlocked_counter import broken as threads_broken
    from races.stress.histogram import DEFAULT_SETTINGS, METHOD_SETTINGS, settings_for

    assert settings_for(broken.stress) == METHOD_SETTINGS
    assert [str(s) for s in METHOD_SETTINGS] == ["start method fork", "start method spawn"]
    assert settings_for(threads_broken.stress) == DEFAULT_SETTINGS  # switch intervals: threads
