"""Lost wake-up: the producer notifies before the consumer waits, and the consumer waits forever."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Lost wake-up: notify before wait",
    bug_class="lost wake-up",
    primitives=("threading.Condition",),
    granularity="line",
    order=11,
    related=("condition_if_not_while", "event_pulse_missed"),
    outcomes={
        "ok": (ACCEPTABLE, "the consumer sees the result"),
        "stuck thread": (FORBIDDEN, "the consumer waits for a notify that already happened"),
    },
)
