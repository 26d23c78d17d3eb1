"""A reader waits for EOF on a Pipe, but the parent still holds a write end: it never comes."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Pipe: the EOF that never comes",
    bug_class="stuck process (a write end left open)",
    primitives=("multiprocessing.Pipe", "Connection.recv", "Connection.close"),
    order=45,
    related=("mp_queue_join_before_drain", "one_sentinel_many_consumers"),
    fixes=("fixed_close_write_end", "fixed_sentinel"),
    outcomes={
        "ok": (ACCEPTABLE, "the reader gets every message, knows there are no more, and exits"),
        "stuck thread": (
            FORBIDDEN,
            "the reader waits for EOF forever: a write end is still open in the parent "
            "(and, under fork, in the reader itself)",
        ),
    },
    # Nothing here depends on timing: one run under each start method shows it all.
    stress_runs=2,
    stress_timeout=2.0,  # a run takes well under a second; the broken one waits for good
    needs=(
        "processes: EOF on a pipe is the operating system's to give, when every write end "
        "is closed. `races stress pipe_never_eof` shows it (as a hang) on real processes"
    ),
)
