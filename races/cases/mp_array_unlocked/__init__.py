"""multiprocessing.Array: `arr[i] += 1` from several processes loses updates."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="multiprocessing.Array without its lock",
    bug_class="atomicity violation (between processes)",
    primitives=("multiprocessing.Array", "multiprocessing.Process"),
    order=44,
    related=("mp_value_unlocked", "unlocked_counter"),
    fixes=("fixed_lock",),
    outcomes={
        "ok": (ACCEPTABLE, "every increment of every slot counted"),
        "assertion": (
            FORBIDDEN,
            "lost update: increments of one slot from different processes overwrote each other",
        ),
    },
    stress_runs=6,  # a run of the fix is 4 processes x 5000 locked increments
    needs=(
        "processes: the race is between processes, which the in-process scheduler does not "
        "control. `races stress mp_array_unlocked` shows it under fork and spawn"
    ),
)
