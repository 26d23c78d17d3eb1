"""A daemon writer still holds records when the program exits; they are lost."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Daemon thread: work lost at exit",
    bug_class="resource leak (lost work at shutdown)",
    primitives=("threading.Thread(daemon=True)", "threading.Event"),
    granularity="line",
    order=17,
    related=("home_made_pool_lost_slot",),
    outcomes={
        "ok": (ACCEPTABLE, "every record is written before the program ends"),
        "assertion": (
            FORBIDDEN,
            "records were still buffered in the daemon thread when the program ended",
        ),
    },
    needs=(
        "the real interpreter exit: the loss happens after the program's last line, when "
        "the interpreter kills daemon threads, which no in-process scenario can observe. "
        "Run `python -m races.cases.daemon_thread_lost_work.broken` to see it; the stress "
        "mode measures it in child processes"
    ),
)
