"""Manager().dict(): `d[key] += 1` from several processes loses updates."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Manager dict: read-modify-write through a proxy",
    bug_class="atomicity violation (between processes)",
    primitives=("multiprocessing.Manager", "multiprocessing.Manager().Lock"),
    order=28,
    related=("mp_value_unlocked", "unlocked_counter"),
    outcomes={
        "ok": (ACCEPTABLE, "every increment counted"),
        "assertion": (
            FORBIDDEN,
            "lost update: two processes read the same count through the proxy",
        ),
    },
    stress_runs=10,  # each run is 4 processes x 5000 increments, under fork and spawn
    needs=(
        "processes: the race is between processes, which the in-process scheduler does not "
        "control. `races stress manager_dict_lost_update` shows it on real processes, under "
        "both the fork and the spawn start methods"
    ),
)
