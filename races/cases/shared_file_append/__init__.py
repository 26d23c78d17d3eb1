"""Processes append multi-part records to one file without a lock: records interleave."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Shared file: records written in parts",
    bug_class="atomicity violation (between processes)",
    primitives=("os.open(O_APPEND)", "os.write"),
    order=32,
    related=("torn_records",),
    outcomes={
        "ok": (ACCEPTABLE, "every line of the file is one whole record"),
        "assertion": (FORBIDDEN, "a record was torn: another process wrote into the middle of it"),
    },
    needs=(
        "processes: the writes interleave in the OS, between processes the in-process "
        "scheduler does not control. `races stress shared_file_append` shows it"
    ),
)
