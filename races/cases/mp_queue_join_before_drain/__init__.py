"""Joining a process before draining the multiprocessing.Queue it filled: a deadlock."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="multiprocessing.Queue: join before drain",
    bug_class="deadlock (pipe buffer)",
    primitives=("multiprocessing.Queue", "multiprocessing.Process.join"),
    order=29,
    related=("join_under_lock",),
    outcomes={
        "ok": (ACCEPTABLE, "the parent gets every item and the child exits"),
        "deadlock": (
            FORBIDDEN,
            "the child waits for the pipe to drain; the parent waits for the child",
        ),
    },
    stress_timeout=5.0,  # a run takes 0.3 s; the broken one hangs for good
    needs=(
        "processes: the deadlock is between a process and the OS pipe it writes to. "
        "`races stress mp_queue_join_before_drain` shows it (as a hang) on real processes"
    ),
)
