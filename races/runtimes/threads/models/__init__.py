"""The modelled leaves of CPython's threading: what the scheduler replaces while it explores.

Only these four are modelled; everything built on them (``Condition``, ``Semaphore``,
``Event``, ``Barrier``, ``Timer``, ``Thread``, ``queue``, ``ThreadPoolExecutor``) is CPython's
own code running on top. Each model behaves exactly like the real leaf when called from a
thread the scheduler does not control, so objects created during a run keep working after
it, and other threads of the process (pytest's, the user's) are never affected.

``lock``    ``_thread.allocate_lock``: the one blocking primitive
``thread``  thread start, and what ``Thread.join`` waits on (3.11-3.12 sentinel, 3.13 handle)
``clock``   ``time.sleep``, ``time.monotonic`` and friends, on virtual time
"""
