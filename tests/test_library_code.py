"""Races inside a real library (cachetools, pinned in the test dependency group): found,
named as the library's code names them, and shown with the program's line that led there.

cachetools documents that its caches are not thread-safe: ``Cache.__setitem__`` adds to a
private running size (``self.__currsize += ...``), so two threads that store at once can
lose one addition.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import threading
from pathlib import Path

import cachetools
import pytest

import races
from races import FailureKind


def fill(cache: cachetools.LRUCache[str, str], key: str) -> None:
    cache[key] = key.upper()  # the program's line that leads into the library


def shared_cache() -> None:
    cache: cachetools.LRUCache[str, str] = cachetools.LRUCache(maxsize=10)
    threads = [threading.Thread(target=fill, args=(cache, key)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.currsize == len(cache), (cache.currsize, len(cache))


def locked_cache() -> None:
    cache: cachetools.LRUCache[str, str] = cachetools.LRUCache(maxsize=10)
    lock = threading.Lock()

    def locked_fill(key: str) -> None:
        with lock:
            fill(cache, key)

    threads = [threading.Thread(target=locked_fill, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.currsize == len(cache)


CALL_LINE = inspect.getsourcelines(fill)[1] + 1


@pytest.mark.parametrize("strategy", ["dpor", "random"])
def test_a_lost_update_inside_a_library_is_found_and_named(strategy: str) -> None:
    result = races.explore(shared_cache, strategy=strategy, seed=0)
    assert result.failed and result.kind is FailureKind.ASSERTION
    report = result.render()
    assert report.startswith("lost update in ")
    # The library's private attribute, as its code writes it, at the library's line...
    assert "`LRUCache.__currsize`" in report
    assert "cachetools/__init__.py:" in report
    # ... and the program's line that led there.
    assert f"called from test_library_code.py:{CALL_LINE}" in report
    # Neither the conflicting accesses nor the preemption between them are folded away.
    assert report.count("[write LRUCache.__currsize]") == 2
    assert "[read LRUCache.__currsize]" in report
    assert "is preempted here; " in report


def test_a_race_inside_a_library_is_predicted_from_a_run_that_passed() -> None:
    result = races.detect(shared_cache)
    assert result.findings and result.findings[0].pattern == "lost update"
    assert f"called from test_library_code.py:{CALL_LINE}" in result.render()


def test_the_library_used_under_the_programs_lock_is_proved() -> None:
    result = races.explore(locked_cache, strategy="dpor")
    assert result.summary.startswith("proved"), result.summary
    assert not races.detect(locked_cache).failed


EXAMPLE = Path(__file__).parent.parent / "examples" / "cache"


def test_the_readme_example_suite_fails_under_the_detector_where_it_races() -> None:
    """README, Testing your own code: `pytest --races-detect` on a small suite that uses
    the cache from two threads fails the test without a lock, with the library's race
    and the test's line that led there, and passes the one with a lock."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--races-detect"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "1 failed, 1 passed" in out
    assert "FAILED test_cache.py::test_lookups_from_two_threads - races.RaceFailure" in out
    assert "E   races.RaceFailure: lost update in test_cache.test_lookups_from_two_threads" in out
    assert "pytest_plugin.py" not in out  # races' own frames are not the story
    assert "(cachetools/__init__.py:73, called from test_cache.py:" in out
