"""multiprocessing.Value: `v.value += 1` from several processes loses updates."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="multiprocessing.Value without its lock",
    bug_class="atomicity violation (between processes)",
    primitives=("multiprocessing.Value", "multiprocessing.Process"),
    order=27,
    related=("unlocked_counter",),
    outcomes={
        "ok": (ACCEPTABLE, "every increment counted"),
        "assertion": (
            FORBIDDEN,
            "lost update: increments from different processes overwrote each other",
        ),
    },
    stress_runs=10,  # each run is 4 processes x 5000 increments, under fork and spawn
    needs=(
        "processes: the race is between processes, which the in-process scheduler does not "
        "control. `races stress mp_value_unlocked` shows it on real processes, under both the "
        "fork and the spawn start methods"
    ),
)
