"""Worker processes for long batches (``races run``, the stress campaign) that stop at once.

``multiprocessing`` pools and Ctrl-C get along badly by default: the terminal sends SIGINT
to every process of the group, each worker prints its own traceback, and the pool may
wait for work that will never finish. Here workers ignore SIGINT (the parent alone
decides what it means), and exit as programs do when the parent stops them with SIGTERM,
so their ``atexit`` handlers run (a lesson's server goes with them). On Ctrl-C the parent
stops every worker and raises ``PartlyDone`` with the results that had come in.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing import active_children, get_context
from types import FrameType
from typing import Any, Generic, TypeVar

Job = TypeVar("Job")
Out = TypeVar("Out")


class PartlyDone(KeyboardInterrupt, Generic[Out]):
    """Ctrl-C: ``results`` maps the index of each finished job to its result."""

    def __init__(self, results: dict[int, Out]) -> None:
        super().__init__(f"interrupted after {len(results)} job(s)")
        self.results = results


def _worker_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = os.getpid()
    previous_hook = sys.unraisablehook

    # The SystemExit that SIGTERM raises can land where the interpreter swallows
    # exceptions (a weakref callback, an after-fork hook): it printed "Exception ignored"
    # and the worker went on. There, the stop is tried again a millisecond later, from a
    # timer, until it lands where it can propagate. (Sending SIGTERM again at once would
    # raise inside the hook that saw it.)
    def later() -> None:
        signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, 0.001)

    def unraisable(info: Any) -> None:
        if isinstance(info.exc_value, SystemExit) and os.getpid() == worker:
            later()
        else:
            previous_hook(info)

    def stop(signum: int, frame: FrameType | None) -> None:
        if os.getpid() == worker:
            while frame is not None:
                if frame.f_code in (unraisable.__code__, later.__code__):
                    later()
                    return
                frame = frame.f_back
            sys.unraisablehook = unraisable
            sys.exit(128 + signal.SIGTERM)
        # A process the worker forked (a process lesson's) inherits this handler, and a
        # SIGTERM that came just as it forked: there, SIGTERM does what it does in any
        # program, at once (raising SystemExit inside its fork hooks printed a traceback).
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)


#: Seconds the workers get to exit on SIGTERM before they are killed.
GRACE = 3.0


def _terminate(pool: Any) -> None:
    """``pool.terminate()``, bounded. It sends SIGTERM to the workers it knows, then joins
    every worker. Under load a worker has been seen alive, idle and without a SIGTERM
    pending after that (the cause is not found): the join, and the command, would wait
    forever. After ``GRACE`` seconds every worker still alive is killed."""
    stopper = threading.Thread(target=pool.terminate, name="races-pool-stopper", daemon=True)
    stopper.start()
    stopper.join(GRACE)
    while stopper.is_alive():
        for child in active_children():
            child.kill()
        stopper.join(0.1)


def _pool(size: int) -> Any:
    """A spawned pool whose workers ignore SIGINT from their first instruction: a Ctrl-C
    that comes while one is still starting (importing, before its initializer runs) would
    otherwise print a traceback from inside it. An ignored signal stays ignored across
    exec, and the interpreter then installs no KeyboardInterrupt handler."""
    if threading.current_thread() is not threading.main_thread():
        return get_context("spawn").Pool(size, initializer=_worker_signals)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return get_context("spawn").Pool(size, initializer=_worker_signals)
    finally:
        signal.signal(signal.SIGINT, previous)


def _call(task: tuple[Callable[[Any], Any], int, Any]) -> tuple[int, Any]:
    function, index, job = task
    return index, function(job)


def run_jobs(
    function: Callable[[Job], Out],
    jobs: Sequence[Job],
    workers: int,
    order: Sequence[int] | None = None,
    on_done: Callable[[int, Out], None] | None = None,
) -> list[Out]:
    """``[function(job) for job in jobs]``, in ``workers`` processes when more than one,
    started in ``order`` (indexes; the slowest first keeps the end short). ``function``
    must be importable by name (the workers are spawned). ``on_done(index, result)`` is
    called in this process as each job finishes, in the order they finish."""
    order = list(order) if order is not None else list(range(len(jobs)))
    results: dict[int, Out] = {}
    tasks = [(function, i, jobs[i]) for i in order]
    try:
        if workers > 1 and len(jobs) > 1:
            pool = _pool(min(workers, len(jobs)))
            try:
                for index, result in pool.imap_unordered(_call, tasks):
                    results[index] = result
                    if on_done is not None:
                        on_done(index, result)
            except BaseException:
                _terminate(pool)  # Ctrl-C, or a worker's error: every worker stops now
                raise
            else:
                pool.close()  # done: the workers exit on their own
            finally:
                pool.join()
        else:
            for task in tasks:
                index, result = _call(task)
                results[index] = result
                if on_done is not None:
                    on_done(index, result)
    except KeyboardInterrupt:
        raise PartlyDone(results) from None
    return [results[i] for i in range(len(jobs))]
