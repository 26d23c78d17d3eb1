"""A bounded buffer on one Condition with notify(): a consumer wakes a consumer, and all wait."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="One Condition for two kinds of waiter: notify() wakes the wrong one",
    bug_class="lost wake-up (signal to the wrong waiter)",
    primitives=("threading.Condition",),
    granularity="line",
    order=37,
    related=("condition_if_not_while", "lost_wakeup"),
    fixes=("fixed_two_conditions", "fixed_notify_all"),
    outcomes={
        "ok": (ACCEPTABLE, "every item is produced and consumed"),
        "stuck thread": (
            FORBIDDEN,
            "a notify() woke a waiter of the wrong kind, which went back to waiting: the "
            "one it was meant for waits forever",
        ),
    },
)
