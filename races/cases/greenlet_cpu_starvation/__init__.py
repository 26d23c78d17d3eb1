"""A greenlet that computes and never waits starves the others: a heartbeat misses its deadline."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="A greenlet that never yields: CPU work starves every other greenlet",
    bug_class="starvation (a greenlet that never yields)",
    primitives=("gevent.spawn", "gevent.sleep", "loop.run_callback_threadsafe"),
    granularity="greenlet",
    requires=("gevent",),
    order=49,
    related=("async_blocking_call", "greenlet_switch_race"),
    # The thread fix starts a plain threading.Thread, not a gevent.threadpool.ThreadPool: on
    # CPython 3.12, under the noise setting of the real runs (a trace function on the main
    # thread and on the pool's thread), the pool's worker crashes the interpreter when it
    # clears its trace function inside its greenlet.
    fixes=("fixed_yield", "fixed_thread"),
    outcomes={
        "ok": (ACCEPTABLE, "every heartbeat came within its 0.5 s deadline"),
        "assertion": (
            FORBIDDEN,
            "a greenlet computed without yielding: the heartbeat greenlet could not run, and "
            "a beat came more than 0.5 s late",
        ),
    },
    # Two real runs under each of the three settings; each run computes for about 1 s.
    stress_runs=6,
    needs=(
        "CPU time: the scheduler's virtual time stands still while a greenlet computes, "
        "and it runs a ready greenlet before any timer, so no deadline can pass during the "
        "computation, with the fix or without. `races run greenlet_cpu_starvation` shows "
        "it on real greenlets, with a real clock"
    ),
)
