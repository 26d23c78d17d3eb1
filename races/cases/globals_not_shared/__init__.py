"""A child process appends to a module-level list: the parent's list never changes."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Globals are not shared between processes",
    bug_class="lost update (each process has its own memory)",
    primitives=("multiprocessing.Process", "multiprocessing.Queue", "multiprocessing.Pool"),
    order=42,
    related=("mp_value_unlocked", "manager_dict_lost_update"),
    fixes=("fixed_queue", "fixed_pool"),
    outcomes={
        "ok": (ACCEPTABLE, "the parent sees every result the children computed"),
        "assertion": (
            FORBIDDEN,
            "the children appended to their own copies of the list: the parent's is empty",
        ),
    },
    # Nothing here depends on timing: one run under each start method shows it all.
    stress_runs=2,
    needs=(
        "processes: each process has its own memory, which the in-process scheduler does not "
        "model. `races stress globals_not_shared` shows it under fork and spawn"
    ),
)
