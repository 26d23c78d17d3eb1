"""A greenlet computes checksums without ever yielding; the heartbeat greenlet misses its deadline.

What goes wrong
---------------
Greenlets never preempt each other: one runs until it waits for something (I/O, a
sleep, a lock, a join), and only then does gevent's hub run another, or fire a timer.
Code that only computes never waits. Here `checksums()` hashes a 1,600 MiB upload block by
block, about a second of pure computation, and for all that time the hub
does not run: the heartbeat greenlet, which tells the cluster every 10 ms that this
server is alive, sleeps on long after its timer was due. Requests, health checks and
timeouts of every other greenlet wait the same way.

No unlucky order is needed: gevent's own order loses every time.

    heartbeat  due = now + 0.01; gevent.sleep(0.01): waits, the hub runs the next greenlet
    checksums  sha256 of block 1, block 2, ..., block 1600: 1 s, and never a wait
    checksums  returns: now the hub runs again, and fires the heartbeat's timer
    heartbeat  wakes 0.97 s after its beat was due; the deadline is 0.5 s

`gevent.monkey.patch_all()` does not help: it makes blocking calls wait in the hub, but a
computation has no blocking call to patch. The same freeze comes from a call into C
that blocks without telling gevent (an unpatched driver), or from `time.sleep` when it
was not patched.

The scheduler cannot show it. Its time is virtual: it moves only when no greenlet is
ready to run, jumping to the next timer, so no time passes while a greenlet computes,
however long it computes, and no deadline can pass. Measured with a real clock instead,
every run fails, with the first fix as well: a greenlet that yields with `gevent.sleep(0)`
is ready again at once, so the scheduler runs it before the heartbeat's timer, to the
end of the computation. So `races run greenlet_cpu_starvation` runs the variants on real
greenlets, with a real clock.

The fixes
---------
`fixed_yield.py` calls `gevent.sleep(0)` after each block: the computation takes a little
longer, but the hub gets to run between blocks, and the heartbeat keeps its deadline
(gevent bounds a run of `sleep(0)` calls to about its switch interval, 5 ms, before
timers and I/O get their turn). `fixed_thread.py` leaves the greenlets alone and hands
the computation to a real thread, whose result comes back through the hub; the greenlet
that asked waits for it, which lets the hub run (hashlib releases the GIL while it
hashes, so the thread and the heartbeat truly run at once).

See also `async_blocking_call` (the same with asyncio tasks) and `greenlet_switch_race`
(greenlets that switch where the code does not say so).

Measured on a real interpreter
------------------------------
`races stress`, at most 20 runs per setting, CPython 3.11.7, 2 cores; runs whose threads never
overlapped are not counted, and a setting stops early after two hangs:

    setting               forbidden outcome in
    default switching     20 of 20 counted runs (100%)
    1 us switching        20 of 20 counted runs (100%)
    noise 0.01            20 of 20 counted runs (100%)
    the scheduler         cannot: CPU time
"""

import hashlib
import time

import gevent
from gevent.event import Event

BLOCKS = [bytes(1 << 20)] * 1600  # an upload of 1,600 MiB, block by block


def checksums(blocks: list[bytes]) -> list[str]:
    sums = []
    for block in blocks:
        sums.append(hashlib.sha256(block).hexdigest())  # computes: never waits, never yields
    return sums


def heartbeat(stop: Event, late: list[float]) -> None:
    """Tells the cluster this server is alive, every 10 ms; notes how late each beat is."""
    while not stop.is_set():
        due = time.perf_counter() + 0.01
        gevent.sleep(0.01)
        late.append(time.perf_counter() - due)


def scenario() -> None:
    stop = Event()
    late: list[float] = []
    pulse = gevent.spawn(heartbeat, stop, late)
    job = gevent.spawn(checksums, BLOCKS)
    sums = job.get()
    stop.set()
    pulse.join()
    assert len(sums) == len(BLOCKS)
    worst = max(late)
    assert worst < 0.5, f"a heartbeat came {worst:.2f} s late: its deadline is 0.5 s"


if __name__ == "__main__":
    try:
        scenario()
        print("Every heartbeat kept its deadline.")
    except AssertionError as exc:
        print(exc)
