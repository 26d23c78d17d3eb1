"""`if not q.empty(): q.get()` from two consumers: one of them blocks forever."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Check-then-act on a queue: empty() then get()",
    bug_class="atomicity violation (check-then-act)",
    primitives=("queue.Queue.empty", "queue.Queue.get"),
    granularity="line",
    order=7,
    related=("qsize_check_consumer", "check_then_act_balance"),
    outcomes={
        "ok": (ACCEPTABLE, "one consumer takes the item, the other finds the queue empty"),
        "stuck thread": (FORBIDDEN, "a consumer waits in get() for an item that will never come"),
    },
)
