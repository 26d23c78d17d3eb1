"""A thread holds a lock when the parent forks: the child's copy of it is never released."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Fork while another thread holds a lock",
    bug_class="deadlock (a lock copied held by fork)",
    primitives=("multiprocessing.Process (fork)", "threading.Lock", "os.register_at_fork"),
    order=46,
    related=("pipe_never_eof", "join_under_lock"),
    fixes=("fixed_spawn", "fixed_fork_first", "fixed_register_at_fork"),
    outcomes={
        "ok": (ACCEPTABLE, "the worker logs its line and exits"),
        "deadlock": (
            FORBIDDEN,
            "the forked worker waits forever for log_lock, held by a thread it does not have",
        ),
    },
    # Nothing here depends on timing: a few runs under each start method show it all.
    # (fixed_spawn takes no start method: its runs are spread over thread settings, 3 x 2.)
    stress_runs=6,
    stress_timeout=2.0,  # a run takes about 0.3 s; the broken one, under fork, waits for good
    needs=(
        "processes started by fork: the copy of the lock is the operating system's, which "
        "the in-process scheduler does not control. `races stress fork_with_lock_held` "
        "shows it under fork only: under spawn the same program runs fine"
    ),
)
