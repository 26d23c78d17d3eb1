"""Check-then-act on a balance: two withdrawals both pass the check, and the account overdraws."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Check-then-act: the overdrawn account",
    bug_class="atomicity violation (check-then-act)",
    primitives=("threading.Thread", "threading.Lock"),
    granularity="line",
    order=14,
    related=("unlocked_counter", "lazy_init_race", "empty_then_get"),
    outcomes={
        "ok": (ACCEPTABLE, "one withdrawal succeeds, the other is refused"),
        "assertion": (FORBIDDEN, "overdrawn: both withdrawals passed the check"),
    },
    watch=("balance",),
)
