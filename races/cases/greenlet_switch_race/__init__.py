"""Greenlet switch race: with gevent's monkey patches, I/O inside a read-modify-write switches."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Greenlet switch race: I/O inside a read-modify-write, under monkey.patch_all()",
    bug_class="atomicity violation",
    primitives=("gevent.spawn", "gevent.monkey.patch_all", "gevent.lock.Semaphore"),
    granularity="greenlet",
    requires=("gevent",),
    order=26,
    related=("async_lost_update", "unlocked_counter"),
    fixes=("fixed_no_switch", "fixed_semaphore"),
    outcomes={
        "ok": (ACCEPTABLE, "every view counted"),
        "assertion": (FORBIDDEN, "lost update: greenlets read the same value across a switch"),
    },
    watch=("views",),
)
