"""The architecture holds: no import cycle at all, and the layers the README draws.

``nox -s lint`` checks the import contracts in ``pyproject.toml`` with import-linter; this
test checks, from the same import graph, what a contract cannot say: that no module of
races is part of an import cycle, not even through a package's ``__init__``.
"""

from __future__ import annotations

import sys

import grimp


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that all import each other, indirectly."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            groups.append(group)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(graph.modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return groups


def test_no_module_of_races_is_in_an_import_cycle() -> None:
    graph = grimp.build_graph("races")
    cycles = [group for group in strongly_connected(graph) if len(group) > 1]
    assert cycles == [], f"import cycles: {cycles}"


def test_the_cycle_finder_finds_a_cycle_through_a_package_init() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg", imported="pkg.a")  # __init__ re-exports a
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg")  # b imports the package
    graph.add_import(importer="pkg.c", imported="pkg.a")
    groups = [g for g in strongly_connected(graph) if len(g) > 1]
    assert groups == [{"pkg", "pkg.a", "pkg.b"}]


def test_the_vocabulary_and_the_core_import_no_runtime() -> None:
    graph = grimp.build_graph("races")
    for low in ("races.vocabulary", "races.core"):
        for module in graph.find_descendants(low) | {low}:
            imported = graph.find_modules_directly_imported_by(module)
            upward = {m for m in imported if m.startswith(("races.runtimes", "races.catalogue"))}
            assert not upward, f"{module} imports {upward}"
