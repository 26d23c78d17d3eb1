"""Threads write a record's fields with separate writes to a shared log; records interleave."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Torn records: one record, several writes",
    bug_class="atomicity violation",
    primitives=("list.append", "threading.Lock"),
    granularity="line",
    order=20,
    related=("dict_changed_during_iteration",),
    outcomes={
        "ok": (ACCEPTABLE, "every record's fields are next to each other"),
        "assertion": (FORBIDDEN, "a record was torn: another thread's fields landed in the middle"),
    },
)
