"""Terminating the reader as soon as the writers are joined loses the messages still in flight."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="terminate() loses messages",
    bug_class="lost work (shutdown)",
    primitives=("multiprocessing.Queue", "multiprocessing.Process.terminate"),
    order=30,
    related=("daemon_thread_lost_work", "qsize_check_consumer"),
    outcomes={
        "ok": (ACCEPTABLE, "the reader handles every message"),
        "assertion": (
            FORBIDDEN,
            "messages still in the queue when the reader was terminated were lost",
        ),
        "deadlock": (
            FORBIDDEN,
            "the reader was terminated holding the count's lock: reading the count waits for ever",
        ),
    },
    stress_runs=10,  # a run of the fix waits for 2 x 100 messages handled, under fork and spawn
    needs=(
        "processes: the loss happens between processes, which the in-process scheduler does "
        "not control. `races stress terminate_loses_messages` shows it on real processes"
    ),
)
