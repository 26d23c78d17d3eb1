"""A variant's code as ``races show`` compares it: the program, without its teaching text.

Docstrings teach and the ``if __name__ == "__main__":`` demo runs the program by hand; both
differ between a broken variant and its fix far more than the code does. Comparing only the
code shows the change a fix makes, which is often two lines.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator, Sequence

#: Top-level functions that only demonstrate a variant by hand, like the ``__main__`` block.
DEMOS = frozenset({"main"})


def code_only(source: str) -> list[str]:
    """``source``'s lines without docstrings, the ``__main__`` block and a demo ``main()``,
    and without the blank lines those leave behind."""
    lines = source.splitlines()
    drop: set[int] = set()  # 0-based line numbers
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                drop.update(_span(body[0]))
    for node in tree.body:
        if _is_main_block(node) or (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in DEMOS
        ):
            drop.update(_span(node))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    return list(_squeeze_blank_lines(kept))


def _span(node: ast.stmt) -> range:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return range(first - 1, (node.end_lineno or node.lineno))


def _is_main_block(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _squeeze_blank_lines(lines: Sequence[str]) -> Iterator[str]:
    blank = True  # no blank lines at the start
    for line in lines:
        if line.strip():
            blank = False
            yield line
        elif not blank:
            blank = True
            yield line


def unified(before: str, after: str, names: tuple[str, str]) -> list[str]:
    """The code-only diff of two variants, with two lines of context."""
    return list(
        difflib.unified_diff(
            code_only(before), code_only(after), names[0], names[1], n=2, lineterm=""
        )
    )


def side_by_side(before: str, after: str, names: tuple[str, str], width: int = 100) -> list[str]:
    """The two variants' code in two columns, changed lines marked: ``|`` changed, ``<``
    only on the left, ``>`` only on the right; unchanged runs of more than four lines are
    folded."""
    left, right = code_only(before), code_only(after)
    column = (width - 3) // 2
    out = [f"{_cut(names[0], column):<{column}}   {_cut(names[1], column)}"]
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs = list(zip(left[i1:i2], right[j1:j2], strict=True))
            if len(pairs) > 4:
                pairs_shown = [*pairs[:2], None, *pairs[-2:]]
            else:
                pairs_shown = list(pairs)
            for pair in pairs_shown:
                if pair is None:
                    out.append(f"{'...':<{column}}   ...")
                else:
                    out.append(f"{_cut(pair[0], column):<{column}}   {_cut(pair[1], column)}")
            continue
        rows = max(i2 - i1, j2 - j1)
        for k in range(rows):
            a = left[i1 + k] if i1 + k < i2 else ""
            b = right[j1 + k] if j1 + k < j2 else ""
            mark = "|" if a and b else ("<" if a else ">")
            out.append(f"{_cut(a, column):<{column}} {mark} {_cut(b, column)}")
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
