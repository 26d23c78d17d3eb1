"""One thread iterates a shared dict while another inserts: the iterator raises RuntimeError."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Dictionary changed size during iteration",
    bug_class="atomicity violation (unprotected iteration)",
    primitives=("dict", "threading.Lock"),
    granularity="line",
    order=15,
    related=("torn_records",),
    outcomes={
        "ok": (ACCEPTABLE, "the report is made from a consistent set of sessions"),
        "thread exception": (FORBIDDEN, "RuntimeError: dictionary changed size during iteration"),
    },
)
