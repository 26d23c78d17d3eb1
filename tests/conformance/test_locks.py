"""Lock and RLock behave like CPython's, on real threads and under the scheduler."""

from __future__ import annotations

import threading

import pytest

from tests.conformance.harness import RealThreads, Scheduled, run_threads


class BaseLockTests:
    """Tests common to Lock and RLock; subclasses bind ``locktype``."""

    locktype: staticmethod
    check: staticmethod

    def test_acquire_release(self) -> None:
        # A lock can be acquired and released.
        def scenario() -> None:
            lock = self.locktype()
            assert lock.acquire() is True
            lock.release()

        self.check(scenario)

    def test_with(self) -> None:
        # A lock is a context manager that releases on exit, even on error.
        def scenario() -> None:
            lock = self.locktype()
            with pytest.raises(ZeroDivisionError):
                with lock:
                    1 / 0  # noqa: B018
            assert lock.acquire(blocking=False)
            lock.release()

        self.check(scenario)

    def test_try_acquire_held_by_another_thread(self) -> None:
        # A non-blocking acquire of a lock another thread holds returns False.
        def scenario() -> None:
            lock = self.locktype()
            lock.acquire()
            results = []
            run_threads(lambda: results.append(lock.acquire(blocking=False)), 1)
            assert results == [False]
            lock.release()

        self.check(scenario)

    def test_acquire_timeout_held_by_another_thread(self) -> None:
        # A timed acquire of a lock another thread holds times out with False.
        def scenario() -> None:
            lock = self.locktype()
            lock.acquire()
            results = []
            run_threads(lambda: results.append(lock.acquire(timeout=0.01)), 1)
            assert results == [False]
            lock.release()

        self.check(scenario)

    def test_blocked_acquire_succeeds_after_release(self) -> None:
        # A thread blocked in acquire gets the lock once its holder releases it.
        def scenario() -> None:
            lock = self.locktype()
            got = threading.Event()
            lock.acquire()

            def waiter() -> None:
                with lock:
                    got.set()

            t = threading.Thread(target=waiter)
            t.start()
            lock.release()
            t.join()
            assert got.is_set()

        self.check(scenario)

    def test_mutual_exclusion(self) -> None:
        # Increments under the lock are never lost.
        def scenario() -> None:
            lock = self.locktype()
            box = [0]

            def work() -> None:
                for _ in range(3):
                    with lock:
                        value = box[0]
                        box[0] = value + 1

            run_threads(work, 3)
            assert box[0] == 9

        self.check(scenario)

    def test_invalid_arguments(self) -> None:
        # Timeouts are checked the way CPython checks them.
        def scenario() -> None:
            lock = self.locktype()
            with pytest.raises(ValueError, match="can't specify a timeout for a non-blocking call"):
                lock.acquire(False, 1)
            with pytest.raises(
                ValueError, match=r"timeout value must be (positive|a non-negative number)"
            ):
                lock.acquire(timeout=-100)

        self.check(scenario)


class LockTests(BaseLockTests):
    locktype = staticmethod(lambda: threading.Lock())

    def test_release_unlocked(self) -> None:
        # Releasing an unlocked Lock is a RuntimeError.
        def scenario() -> None:
            lock = self.locktype()
            with pytest.raises(RuntimeError, match="release unlocked lock"):
                lock.release()

        self.check(scenario)

    def test_release_from_another_thread(self) -> None:
        # A Lock can be released from a different thread.
        def scenario() -> None:
            lock = self.locktype()
            lock.acquire()
            run_threads(lock.release, 1)
            assert not lock.locked()

        self.check(scenario)

    def test_locked(self) -> None:
        # locked() reports the state.
        def scenario() -> None:
            lock = self.locktype()
            assert not lock.locked()
            with lock:
                assert lock.locked()

        self.check(scenario)

    def test_not_reentrant(self) -> None:
        # The owner cannot take a Lock twice.
        def scenario() -> None:
            lock = self.locktype()
            lock.acquire()
            assert lock.acquire(blocking=False) is False
            lock.release()

        self.check(scenario)


class RLockTests(BaseLockTests):
    locktype = staticmethod(lambda: threading.RLock())

    def test_reentrant(self) -> None:
        # The owner can take an RLock again; it must release it as often.
        def scenario() -> None:
            lock = self.locktype()
            lock.acquire()
            lock.acquire()
            lock.release()
            results = []
            run_threads(lambda: results.append(lock.acquire(blocking=False)), 1)
            assert results == [False]
            lock.release()
            run_threads(lambda: results.append(lock.acquire(blocking=False)), 1)
            assert results == [False, True]

        self.check(scenario)

    def test_release_unacquired(self) -> None:
        # Releasing an RLock nobody holds is a RuntimeError.
        def scenario() -> None:
            lock = self.locktype()
            with pytest.raises(RuntimeError, match="cannot release un-acquired lock"):
                lock.release()

        self.check(scenario)

    def test_release_by_non_owner(self) -> None:
        # Only the owner can release an RLock.
        def scenario() -> None:
            lock = self.locktype()
            lock.acquire()
            errors = []

            def release() -> None:
                try:
                    lock.release()
                except RuntimeError as exc:
                    errors.append(str(exc))

            run_threads(release, 1)
            assert errors == ["cannot release un-acquired lock"]
            lock.release()

        self.check(scenario)


class TestLockOnRealThreads(LockTests, RealThreads):
    pass


class TestLockScheduled(LockTests, Scheduled):
    pass


class TestRLockOnRealThreads(RLockTests, RealThreads):
    pass


class TestRLockScheduled(RLockTests, Scheduled):
    pass


def test_primitives_are_modelled_while_exploring() -> None:
    import races
    from races.runtimes.threads.models.lock import Lock

    seen = {}

    def scenario() -> None:
        seen["lock"] = type(threading.Lock())
        seen["rlock_inner"] = type(threading.RLock()._block)  # type: ignore[attr-defined]

    races.explore(scenario, budget=1).raise_if_failed()
    assert seen == {"lock": Lock, "rlock_inner": Lock}
    assert type(threading.Lock()) is not Lock  # and not after
