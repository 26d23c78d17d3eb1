"""Run one test body on real threads, or under the scheduler across many interleavings.

Each family's base class (``BaseLockTests``, ...) writes its tests as scenarios and hands
them to ``self.check``. A subclass mixes in ``RealThreads`` or ``Scheduled``; the same
assertions must hold both ways. Under the scheduler they must hold in every explored
interleaving, which is a stronger check than one real run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import races


class RealThreads:
    def check(self, scenario: Callable[[], None]) -> None:
        scenario()


class Scheduled:
    budget = 30

    def check(self, scenario: Callable[[], None]) -> None:
        result = races.explore(scenario, strategy="random", seed=0, budget=self.budget)
        result.raise_if_failed()


def run_threads(target: Callable[[], object], n: int = 2) -> None:
    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
