"""Queues, threads, timers, thread-locals and executors behave like CPython's, real and scheduled."""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest

from tests.conformance.harness import RealThreads, Scheduled, run_threads


class BaseQueueTests:
    queuetype: staticmethod
    check: staticmethod

    def test_put_get_across_threads(self) -> None:
        # Everything put by producers is got by the consumer, once.
        def scenario() -> None:
            q = self.queuetype()
            run_threads(lambda: [q.put(i) for i in range(2)], 2)
            got = sorted(q.get() for _ in range(4))
            assert got == [0, 0, 1, 1]

        self.check(scenario)

    def test_get_timeout(self) -> None:
        # get on an empty queue with a timeout raises Empty.
        def scenario() -> None:
            q = self.queuetype()
            with pytest.raises(queue.Empty):
                q.get(timeout=0.01)
            with pytest.raises(queue.Empty):
                q.get_nowait()

        self.check(scenario)

    def test_blocked_get_wakes_on_put(self) -> None:
        # A consumer blocked in get receives the next put.
        def scenario() -> None:
            q = self.queuetype()
            got = []
            t = threading.Thread(target=lambda: got.append(q.get()))
            t.start()
            q.put(7)
            t.join()
            assert got == [7]

        self.check(scenario)


class BoundedQueueTests(BaseQueueTests):
    def test_put_timeout_on_full(self) -> None:
        # put on a full queue with a timeout raises Full.
        def scenario() -> None:
            q = self.queuetype(maxsize=1)
            q.put(1)
            with pytest.raises(queue.Full):
                q.put(2, timeout=0.01)
            with pytest.raises(queue.Full):
                q.put_nowait(2)

        self.check(scenario)

    def test_task_done_and_join(self) -> None:
        # join returns once every item is marked done.
        def scenario() -> None:
            q = self.queuetype()
            done = []

            def worker() -> None:
                for _ in range(2):
                    done.append(q.get())
                    q.task_done()

            t = threading.Thread(target=worker)
            t.start()
            q.put(1)
            q.put(2)
            q.join()
            assert sorted(done) == [1, 2]
            t.join()
            with pytest.raises(ValueError, match="task_done\\(\\) called too many times"):
                q.task_done()

        self.check(scenario)


class QueueTests(BoundedQueueTests):
    queuetype = staticmethod(lambda maxsize=0: queue.Queue(maxsize))


class LifoQueueTests(BoundedQueueTests):
    queuetype = staticmethod(lambda maxsize=0: queue.LifoQueue(maxsize))

    def test_order(self) -> None:
        # Last in, first out.
        def scenario() -> None:
            q = self.queuetype()
            for i in range(3):
                q.put(i)
            assert [q.get() for _ in range(3)] == [2, 1, 0]

        self.check(scenario)


class PriorityQueueTests(BoundedQueueTests):
    queuetype = staticmethod(lambda maxsize=0: queue.PriorityQueue(maxsize))

    def test_order(self) -> None:
        # Smallest first.
        def scenario() -> None:
            q = self.queuetype()
            for i in (2, 0, 1):
                q.put(i)
            assert [q.get() for _ in range(3)] == [0, 1, 2]

        self.check(scenario)


class SimpleQueueTests(BaseQueueTests):
    queuetype = staticmethod(lambda: queue.SimpleQueue())


class ThreadTests:
    check: staticmethod

    def test_start_join_is_alive(self) -> None:
        # A thread is alive between start and the end of its run.
        def scenario() -> None:
            go = threading.Event()
            t = threading.Thread(target=go.wait)
            assert not t.is_alive()
            t.start()
            assert t.is_alive()
            go.set()
            t.join()
            assert not t.is_alive()

        self.check(scenario)

    def test_join_timeout(self) -> None:
        # join with a timeout returns while the thread is still running.
        def scenario() -> None:
            go = threading.Event()
            t = threading.Thread(target=go.wait)
            t.start()
            t.join(timeout=0.01)
            assert t.is_alive()
            go.set()
            t.join()

        self.check(scenario)

    def test_misuse(self) -> None:
        # Joining before start, joining yourself and starting twice are errors.
        def scenario() -> None:
            t = threading.Thread(target=lambda: None)
            with pytest.raises(RuntimeError, match="cannot join thread before it is started"):
                t.join()
            t.start()
            with pytest.raises(RuntimeError, match="threads can only be started once"):
                t.start()
            t.join()
            with pytest.raises(RuntimeError, match="cannot join current thread"):
                threading.current_thread().join()

        self.check(scenario)

    def test_identity_and_local(self) -> None:
        # Each thread has its own identity and its own thread-local values.
        def scenario() -> None:
            local = threading.local()
            local.value = "main"
            seen = {}

            def worker() -> None:
                assert not hasattr(local, "value")
                local.value = threading.current_thread().name
                seen[threading.get_ident()] = local.value

            t = threading.Thread(target=worker, name="worker")
            t.start()
            t.join()
            assert list(seen.values()) == ["worker"]
            assert t.ident in seen
            assert local.value == "main"

        self.check(scenario)

    def test_timer_fires_and_cancel_prevents_it(self) -> None:
        # A Timer runs its function after the interval, unless cancelled first.
        def scenario() -> None:
            fired = []
            t = threading.Timer(0.01, lambda: fired.append("a"))
            t.start()
            t.join()
            cancelled = threading.Timer(10, lambda: fired.append("b"))
            cancelled.start()
            cancelled.cancel()
            cancelled.join()
            assert fired == ["a"]

        self.check(scenario)

    def test_sleep(self) -> None:
        # sleep returns after at least the given time.
        def scenario() -> None:
            start = time.monotonic()
            time.sleep(0.01)
            assert time.monotonic() - start >= 0.01

        self.check(scenario)

    def test_thread_pool_executor(self) -> None:
        # Results, exceptions and map come back through futures.
        def scenario() -> None:
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(pow, 2, n) for n in range(3)]
                assert sorted(f.result() for f in as_completed(futures)) == [1, 2, 4]
                assert list(pool.map(abs, [-1, -2])) == [1, 2]
                failing = pool.submit(int, "x")
                with pytest.raises(ValueError, match="invalid literal"):
                    failing.result()

        self.check(scenario)


class TestQueueOnRealThreads(QueueTests, RealThreads):
    pass


class TestQueueScheduled(QueueTests, Scheduled):
    pass


class TestLifoQueueOnRealThreads(LifoQueueTests, RealThreads):
    pass


class TestLifoQueueScheduled(LifoQueueTests, Scheduled):
    pass


class TestPriorityQueueOnRealThreads(PriorityQueueTests, RealThreads):
    pass


class TestPriorityQueueScheduled(PriorityQueueTests, Scheduled):
    pass


class TestSimpleQueueOnRealThreads(SimpleQueueTests, RealThreads):
    pass


class TestSimpleQueueScheduled(SimpleQueueTests, Scheduled):
    pass


class TestThreadOnRealThreads(ThreadTests, RealThreads):
    pass


class TestThreadScheduled(ThreadTests, Scheduled):
    pass
