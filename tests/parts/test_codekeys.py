"""Per-code tables keyed by identity (``races.core.codekeys``): equal code objects from two
files are two keys, and a kept key's code object stays alive."""

from __future__ import annotations

import gc
import weakref
from types import CodeType

from races.core.codefilter import CodeFilter
from races.core.codekeys import keep
from races.core.instructions import InstructionTable

SOURCE = "def add(x):\n    return x + 1\n"


def _function_code(filename: str) -> CodeType:
    module = compile(SOURCE, filename, "exec")
    return next(c for c in module.co_consts if isinstance(c, CodeType))


def test_equal_code_in_two_files_is_two_keys() -> None:
    mine, vendored = _function_code("/app/mine.py"), _function_code("/app/vendored/mine.py")
    assert mine == vendored and hash(mine) == hash(vendored)  # what a dict would confuse
    under_test = CodeFilter(include=["/app/*"], exclude=["*/vendored/*"])
    assert under_test(mine) and not under_test(vendored)
    assert under_test(mine)  # each decision kept for its own code object


def test_a_kept_code_object_outlives_its_function() -> None:
    namespace: dict[str, object] = {}
    exec(compile(SOURCE, "/app/short_lived.py", "exec"), namespace)
    code = namespace["add"].__code__  # type: ignore[attr-defined]
    alive = weakref.ref(code)
    key = keep(code)
    assert key == id(code) and keep(code) == key
    del namespace, code
    gc.collect()
    assert alive() is not None  # its id cannot go to another code object


def test_per_code_tables_answer_for_each_code_object() -> None:
    tables = InstructionTable()
    mine, other = _function_code("/app/one.py"), _function_code("/app/two.py")
    assert tables.switch_offsets(mine) == tables.switch_offsets(other)
    assert tables.switch_offsets(mine) is not tables.switch_offsets(other)
