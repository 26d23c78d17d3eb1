"""Real libraries under races: what one schedule costs against a plain run of the same code.

Three correct programs a user might point races at, each sharing one library object
between two threads: a cache (``cachetools``, guarded by the lock its ``cached`` decorator
takes), a client (``pymemcache``'s pooled client, talking to a real memcached on loopback),
and a renderer (``markdown-it-py``). The libraries are pinned in the ``bench`` dependency
group. Their code is under test, as it is by default: races switches inside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import races


def _two_threads(work: Callable[[int], object]) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def cache_scenario() -> Callable[[], None]:
    """Two threads call a function memoised in a shared LRU cache, under its lock."""
    import cachetools

    cache: Any = cachetools.LRUCache(maxsize=16)
    lock = threading.Lock()

    def compute(n: int) -> int:
        return n * n

    square: Callable[[int], int] = cachetools.cached(cache, lock=lock)(compute)

    def scenario() -> None:
        cache.clear()
        _two_threads(lambda n: [square(k) for k in (n, 2, 3)])
        assert cache.currsize == len(cache) == 4, (cache.currsize, len(cache))

    return scenario


def client_scenario() -> Callable[[], None]:
    """Two threads share a pooled memcached client: each stores and reads its own key."""
    from pymemcache.client.base import PooledClient

    from races.cases.cache_lost_update.server import memcached

    client = PooledClient(memcached(), max_pool_size=2)

    def work(n: int) -> None:
        client.set(f"bench-{n}", str(n), noreply=False)  # stored before the get asks
        assert client.get(f"bench-{n}") == str(n).encode()

    def scenario() -> None:
        _two_threads(work)

    return scenario


def renderer_scenario() -> Callable[[], None]:
    """Two threads render the same Markdown text with one shared renderer."""
    import markdown_it

    text = "# Title\n\nSome *emphasis* and a [link](http://example.com/a).\n\n- one\n- two\n"
    renderer = markdown_it.MarkdownIt()
    expected = renderer.render(text)  # the library warms its own caches, as a program does

    def scenario() -> None:
        out: list[str] = []
        _two_threads(lambda n: out.append(renderer.render(text)))
        assert out == [expected, expected]

    return scenario


def nothing_scenario() -> Callable[[], None]:
    """Two threads that do nothing: what any schedule of two threads costs at least."""

    def scenario() -> None:
        _two_threads(lambda n: None)

    return scenario


SCENARIOS = {
    "cache": cache_scenario,
    "client": client_scenario,
    "renderer": renderer_scenario,
    "nothing": nothing_scenario,
}


def library_costs(schedules: int, runs: int = 200) -> dict[str, dict[str, float]]:
    """For each scenario: a plain run's seconds (best of ``runs``: a run of two threads
    moves by half from run to run, and the best of 20 by as much from process to
    process); under ``races.explore``
    (random, as a user runs it) the seconds of a search of one schedule, and of each
    schedule after the first in a search of ``schedules`` (a random search of library-sized
    runs learns from its first what it can skip); and the seconds 2,000 schedules take at
    those rates."""
    costs: dict[str, dict[str, float]] = {}
    for name, make in SCENARIOS.items():
        scenario = make()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            scenario()
            times.append(time.perf_counter() - start)
        plain = min(times)
        # What the process does once whatever it explores (compiling the probes of the
        # library's code) is not a schedule's cost.
        races.explore(scenario, strategy="random", budget=1, database=None)
        seconds = []
        for budget in (1, schedules):
            start = time.perf_counter()
            result = races.explore(scenario, strategy="random", budget=budget, database=None)
            seconds.append(time.perf_counter() - start)
            assert not result.failed, result.render()
        first, search = seconds
        later = (search - first) / (schedules - 1)
        costs[name] = {
            "plain": plain,
            "first": first,
            "schedule": later,
            "projected_2000": first + 1999 * later,
        }
    return costs
