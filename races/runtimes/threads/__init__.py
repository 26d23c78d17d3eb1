"""Threads: unmodified ``threading``, ``queue`` and ``concurrent.futures`` code, one OS thread
at a time.

How races controls unmodified threading code
=============================================

Every thread the scenario starts is a real OS thread, but only one of them runs at a
time. Each has a *gate* (a raw ``_thread`` lock); a thread runs only while it has passed
its gate, and hands control to another by opening that thread's gate and waiting at its
own. Handoffs happen at *switch points*: before each line or each instruction of the code
under test (reported by ``sys.monitoring`` or ``sys.settrace``), and whenever a thread
blocks. At each switch point a *chooser* (a strategy, or a schedule being replayed) picks
which enabled thread runs next. Nothing else decides, so a run is a pure function of the
choices made, and a list of choices replays it exactly.

What we model, and why so little
---------------------------------
``threading.Condition``, ``Semaphore``, ``Event``, ``Barrier``, ``Timer``, ``Thread``
itself, ``queue.Queue`` and ``concurrent.futures.ThreadPoolExecutor`` are all written in
Python on top of four leaves: ``_thread.allocate_lock``, thread start, the lock or handle
that ``Thread.join`` waits on, and ``time.monotonic``. We replace only those leaves (see
``models``) and let CPython's own code run on top of them. That way the behaviour of
every primitive is CPython's by construction, down to its error messages, and the
conformance suite in ``tests/conformance`` checks it. The price is that a blocking
operation looks, to us, like "a thread is waiting for a lock"; ``deadlock.py`` recovers
the user-level operation (``Queue.get``, ``Thread.join``) from the waiting thread's stack.

Code that is not under test (the standard library, races itself) runs without switch
points, so each call into it is atomic unless it blocks. That matches what a user can
reason about and keeps the search space to the user's own code.

Modules
-------
``records``    the record of each controlled thread, and what a thread can wait for
``execution``  one run: controlled threads, handoff, blocking, virtual time, run end
``tracing``    the trace hooks that create switch points in the code under test
``models``     the modelled leaves: lock, thread start and join, clock, waiting for I/O
``patches``    installing and removing the modelled leaves, and finding real locks to swap
``deadlock``   turning "nobody can run" into the core's wait-for diagnosis
``real_locks`` naming the held real lock a blocked thread waits for, or a frame holds
               around a call, from the code's instructions
``births``     where each real lock was made, noted from before any exploration
``session``    a run of many executions with the patches and hooks installed once
``observe``    ``detect``'s other way: threads run free on recording locks, their accesses
               logged for the happens-before analysis, a deadlock found by the waiters
"""
