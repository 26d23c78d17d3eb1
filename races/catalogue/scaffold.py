"""``races new NAME``: an installable plugin package with one working case and its test."""

from __future__ import annotations

import keyword
from pathlib import Path

from races.vocabulary.errors import InvalidArgument

_PYPROJECT = """[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "Race cases for the races catalogue"
requires-python = ">=3.11"
dependencies = ["races"]

[project.entry-points."races.cases"]
{name} = "{name}"

[tool.setuptools.packages.find]
include = ["{name}*"]
"""

_PACKAGE = '''"""{name}: race cases for the races catalogue. Each sub-package is one case."""
'''

_CASE = '''"""Shared counter: a read-modify-write on a shared dict loses updates without a lock."""

from races.catalogue import ACCEPTABLE, FORBIDDEN, Case

CASE = Case(
    title="Shared counter in a dict",
    bug_class="atomicity violation",
    primitives=("threading.Thread", "threading.Lock"),
    granularity="line",
    outcomes={{
        "ok": (ACCEPTABLE, "every hit counted"),
        "assertion": (FORBIDDEN, "lost update: a hit was overwritten"),
    }},
)
'''

_BROKEN = '''"""Two threads count hits in a shared dict: read, then write back. One hit is lost.

Both threads can read the same old count before either writes, so one write overwrites
the other. The fix (fixed.py) holds a Lock around the read and the write.
"""

import threading

hits = {{"page": 0}}


def hit() -> None:
    count = hits["page"]
    hits["page"] = count + 1


def scenario() -> None:
    hits["page"] = 0
    threads = [threading.Thread(target=hit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hits["page"] == 2, f"lost update: {{hits}}"


if __name__ == "__main__":
    scenario()
    print(hits)
'''

_FIXED = '''"""Fix: a Lock around the read and the write, so no hit is computed from a stale count."""

import threading

hits = {{"page": 0}}
hits_lock = threading.Lock()


def hit() -> None:
    with hits_lock:
        count = hits["page"]
        hits["page"] = count + 1


def scenario() -> None:
    hits["page"] = 0
    threads = [threading.Thread(target=hit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hits["page"] == 2, f"lost update: {{hits}}"


if __name__ == "__main__":
    scenario()
    print(hits)
'''

_TEST = '''"""Every case of this plugin: the broken variant shows its bug, every fix holds."""

import pytest

from races.catalogue import load_catalogue, run_case

CATALOGUE = load_catalogue()
CASES = [c for c in CATALOGUE.ordered() if c.origin == "{name}"]


def test_the_plugin_loads_without_errors():
    assert [str(e) for e in CATALOGUE.errors if e.plugin == "{name}"] == []
    assert CASES


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_behaves_as_declared(case):
    for report in run_case(case):
        assert report.passed, report.render()
'''


def scaffold(name: str, directory: Path) -> Path:
    """Write the plugin ``name`` under ``directory``; refuses to overwrite anything."""
    if not name.isidentifier() or keyword.iskeyword(name) or name != name.lower():
        raise InvalidArgument(
            f"plugin name {name!r} must be a lowercase Python identifier, such as my_races"
        )
    root = directory / name
    if root.exists():
        raise InvalidArgument(f"{root} already exists; choose another name or directory")
    files = {
        "pyproject.toml": _PYPROJECT.format(name=name, dist=name.replace("_", "-")),
        f"{name}/__init__.py": _PACKAGE.format(name=name),
        f"{name}/shared_counter/__init__.py": _CASE.format(),
        f"{name}/shared_counter/broken.py": _BROKEN.format(),
        f"{name}/shared_counter/fixed.py": _FIXED.format(),
        "tests/test_cases.py": _TEST.format(name=name),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
