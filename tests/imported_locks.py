"""A library's thread-safe objects, made when it is imported: before any exploration.

The shapes a thread-safe library takes: a lock in a class attribute, a module-level object
holding a lock, a list of locks, an object whose condition guards a buffer.
"""

from __future__ import annotations

import functools
import logging
import threading


class Cache:
    _lock = threading.RLock()  # one lock for every cache, made at import

    def __init__(self) -> None:
        self.entries: dict[str, int] = {}

    def incr(self, key: str) -> None:
        with self._lock:
            self.entries[key] = self.entries.get(key, 0) + 1


class Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0


REGISTRY = Registry()  # a module-level object, its lock inside
STRIPES = [threading.Lock() for _ in range(2)]  # a list of locks
SHARDS = [threading.Lock() for _ in range(1000)]  # a long one: swapped where it is read


def cache_scenario() -> None:
    cache = Cache()
    workers = [threading.Thread(target=cache.incr, args=("k",)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert cache.entries == {"k": 2}


def registry_scenario() -> None:
    REGISTRY.count = 0

    def register() -> None:
        with REGISTRY.lock:
            count = REGISTRY.count
            REGISTRY.count = count + 1

    workers = [threading.Thread(target=register) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert REGISTRY.count == 2


def _striped_totals(locks: list[threading.Lock], first: int) -> None:
    """Three threads add to two totals, each under its stripe's lock: ``locks[first]`` or
    the one after it."""
    totals = [0, 0]

    def add(i: int) -> None:
        with locks[first + i % 2]:
            total = totals[i % 2]
            totals[i % 2] = total + 1

    workers = [threading.Thread(target=add, args=(i,)) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert totals == [2, 1]


def stripes_scenario() -> None:
    _striped_totals(STRIPES, 0)


def shards_scenario() -> None:
    _striped_totals(SHARDS, 500)


def unlocked_registry_scenario() -> None:
    """The same registry, its lock forgotten: a lost update to find."""
    REGISTRY.count = 0

    def register() -> None:
        count = REGISTRY.count
        REGISTRY.count = count + 1

    workers = [threading.Thread(target=register) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert REGISTRY.count == 2


class Settings:
    @functools.cached_property
    def port(self) -> int:  # on 3.11 the property holds a lock, made at import
        return 8000


def settings_scenario() -> None:
    settings = Settings()
    ports: list[int] = []
    workers = [threading.Thread(target=lambda: ports.append(settings.port)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert ports == [8000, 8000]


class Sink:
    """A stream of the program's own: the handler calls its ``write`` holding its lock."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text)

    def flush(self) -> None:
        pass


SINK = Sink()
HANDLER = logging.StreamHandler(SINK)  # its lock: a real RLock, made at import
LOG = logging.getLogger("tests.imported_locks")
LOG.addHandler(HANDLER)
LOG.setLevel(logging.INFO)
LOG.propagate = False


def logging_scenario() -> None:
    SINK.lines.clear()
    workers = [
        threading.Thread(target=LOG.info, args=("job %d done", i), name=f"job-{i}")
        for i in range(2)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(SINK.lines) == ["job 0 done\n", "job 1 done\n"]
