"""Semaphore, Event, Condition and Barrier behave like CPython's, real and scheduled."""

from __future__ import annotations

import threading

import pytest

from tests.conformance.harness import RealThreads, Scheduled, run_threads


class BaseSemaphoreTests:
    semtype: staticmethod
    check: staticmethod

    def test_counts(self) -> None:
        # A semaphore admits as many acquirers as its value, then refuses.
        def scenario() -> None:
            sem = self.semtype(2)
            assert sem.acquire(blocking=False)
            assert sem.acquire(blocking=False)
            assert not sem.acquire(blocking=False)
            sem.release()
            assert sem.acquire(timeout=0.01)

        self.check(scenario)

    def test_timeout(self) -> None:
        # A timed acquire of an exhausted semaphore returns False.
        def scenario() -> None:
            sem = self.semtype(0)
            assert sem.acquire(timeout=0.01) is False

        self.check(scenario)

    def test_release_wakes_a_waiter(self) -> None:
        # A thread blocked in acquire proceeds when another releases.
        def scenario() -> None:
            sem = self.semtype(1)
            sem.acquire()
            t = threading.Thread(target=sem.acquire)
            t.start()
            sem.release()
            t.join()
            assert not sem.acquire(blocking=False)

        self.check(scenario)

    def test_bounds_concurrency(self) -> None:
        # No more than `value` threads are ever inside at once.
        def scenario() -> None:
            sem = self.semtype(2)
            inside = [0]
            peak = [0]
            guard = threading.Lock()

            def work() -> None:
                with sem:
                    with guard:
                        inside[0] += 1
                        peak[0] = max(peak[0], inside[0])
                    with guard:
                        inside[0] -= 1

            run_threads(work, 4)
            assert peak[0] <= 2

        self.check(scenario)

    def test_negative_value(self) -> None:
        # A semaphore's initial value cannot be negative.
        def scenario() -> None:
            with pytest.raises(ValueError, match="semaphore initial value must be >= 0"):
                self.semtype(-1)

        self.check(scenario)


class SemaphoreTests(BaseSemaphoreTests):
    semtype = staticmethod(lambda value=1: threading.Semaphore(value))

    def test_over_release_is_allowed(self) -> None:
        # A plain Semaphore can be released more often than acquired.
        def scenario() -> None:
            sem = self.semtype(1)
            sem.release()
            assert sem.acquire(blocking=False) and sem.acquire(blocking=False)

        self.check(scenario)


class BoundedSemaphoreTests(BaseSemaphoreTests):
    semtype = staticmethod(lambda value=1: threading.BoundedSemaphore(value))

    def test_over_release_raises(self) -> None:
        # A BoundedSemaphore refuses to go above its initial value.
        def scenario() -> None:
            sem = self.semtype(1)
            with pytest.raises(ValueError, match="Semaphore released too many times"):
                sem.release()

        self.check(scenario)


class EventTests:
    check: staticmethod

    def test_set_clear(self) -> None:
        # is_set follows set and clear.
        def scenario() -> None:
            ev = threading.Event()
            assert not ev.is_set()
            ev.set()
            assert ev.is_set() and ev.wait() is True
            ev.clear()
            assert not ev.is_set()

        self.check(scenario)

    def test_wait_timeout(self) -> None:
        # wait on an unset event times out with False.
        def scenario() -> None:
            assert threading.Event().wait(0.01) is False

        self.check(scenario)

    def test_set_wakes_every_waiter(self) -> None:
        # set() wakes all threads waiting on the event.
        def scenario() -> None:
            ev = threading.Event()
            results = []
            threads = [threading.Thread(target=lambda: results.append(ev.wait())) for _ in range(3)]
            for t in threads:
                t.start()
            ev.set()
            for t in threads:
                t.join()
            assert results == [True, True, True]

        self.check(scenario)


class ConditionTests:
    check: staticmethod

    def test_wait_notify(self) -> None:
        # A consumer waiting with a predicate sees the producer's item.
        def scenario() -> None:
            cond = threading.Condition()
            items: list[int] = []
            got = []

            def consumer() -> None:
                with cond:
                    cond.wait_for(lambda: items)
                    got.append(items.pop())

            t = threading.Thread(target=consumer)
            t.start()
            with cond:
                items.append(1)
                cond.notify()
            t.join()
            assert got == [1]

        self.check(scenario)

    def test_notify_n_and_all(self) -> None:
        # notify(n) wakes at most n waiters; notify_all wakes the rest.
        def scenario() -> None:
            cond = threading.Condition()
            state = {"go": 0, "woken": 0}

            def waiter() -> None:
                with cond:
                    while state["go"] == 0:
                        cond.wait()
                    state["woken"] += 1

            threads = [threading.Thread(target=waiter) for _ in range(3)]
            for t in threads:
                t.start()
            with cond:
                state["go"] = 1
                cond.notify_all()
            for t in threads:
                t.join()
            assert state["woken"] == 3

        self.check(scenario)

    def test_wait_for_timeout_returns_the_predicate(self) -> None:
        # wait_for with a timeout returns the predicate's last value.
        def scenario() -> None:
            cond = threading.Condition()
            with cond:
                assert cond.wait_for(lambda: False, timeout=0.01) is False
                assert cond.wait(0.01) is False

        self.check(scenario)

    def test_notify_without_the_lock(self) -> None:
        # notify and wait need the condition's lock.
        def scenario() -> None:
            cond = threading.Condition()
            with pytest.raises(RuntimeError, match="cannot notify on un-acquired lock"):
                cond.notify()
            with pytest.raises(RuntimeError, match="cannot wait on un-acquired lock"):
                cond.wait()

        self.check(scenario)


class BarrierTests:
    check: staticmethod

    def test_parties_pass_together(self) -> None:
        # Every party gets a distinct index, and nobody passes early.
        def scenario() -> None:
            barrier = threading.Barrier(3)
            arrived = []
            indexes = []

            def party() -> None:
                arrived.append(1)
                indexes.append(barrier.wait())
                assert len(arrived) == 3

            run_threads(party, 3)
            assert sorted(indexes) == [0, 1, 2]

        self.check(scenario)

    def test_timeout_breaks_the_barrier(self) -> None:
        # A party that waits too long breaks the barrier.
        def scenario() -> None:
            barrier = threading.Barrier(2)
            with pytest.raises(threading.BrokenBarrierError):
                barrier.wait(timeout=0.01)
            assert barrier.broken

        self.check(scenario)

    def test_abort(self) -> None:
        # abort() breaks the barrier for waiting parties.
        def scenario() -> None:
            barrier = threading.Barrier(2)
            errors = []

            def party() -> None:
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:
                    errors.append("broken")

            t = threading.Thread(target=party)
            t.start()
            barrier.abort()
            t.join()
            assert errors == ["broken"]

        self.check(scenario)


class TestSemaphoreOnRealThreads(SemaphoreTests, RealThreads):
    pass


class TestSemaphoreScheduled(SemaphoreTests, Scheduled):
    pass


class TestBoundedSemaphoreOnRealThreads(BoundedSemaphoreTests, RealThreads):
    pass


class TestBoundedSemaphoreScheduled(BoundedSemaphoreTests, Scheduled):
    pass


class TestEventOnRealThreads(EventTests, RealThreads):
    pass


class TestEventScheduled(EventTests, Scheduled):
    pass


class TestConditionOnRealThreads(ConditionTests, RealThreads):
    pass


class TestConditionScheduled(ConditionTests, Scheduled):
    pass


class TestBarrierOnRealThreads(BarrierTests, RealThreads):
    pass


class TestBarrierScheduled(BarrierTests, Scheduled):
    pass
