"""A door opened with Event.set() and closed again with clear(): a visitor can wait through the opening."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Event pulse: set() then clear() is not a signal",
    bug_class="lost wake-up",
    primitives=("threading.Event", "threading.Condition"),
    granularity="line",
    order=12,
    related=("lost_wakeup",),
    outcomes={
        "ok": (ACCEPTABLE, "the visitor gets through the opening"),
        "stuck thread": (
            FORBIDDEN,
            "the door opened and closed while the visitor was not yet waiting",
        ),
    },
)
