"""Cancelling a Timer does not undo it: its action may already have run."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Timer.cancel() after the timer fired",
    bug_class="order violation",
    primitives=("threading.Timer", "threading.Lock"),
    granularity="line",
    order=16,
    related=("event_pulse_missed",),
    outcomes={
        "ok": (ACCEPTABLE, "the reminder is either sent or cancelled, and the code knows which"),
        "assertion": (
            FORBIDDEN,
            "the code believed it cancelled the reminder, but it had been sent",
        ),
    },
)
