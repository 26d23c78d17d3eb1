"""The code a lesson's diff compares: docstrings and the hand-run demo are not code."""

from __future__ import annotations

import textwrap

from races.catalogue.source import code_only, side_by_side, unified

VARIANT = textwrap.dedent(
    '''\
    """The lesson: several lines
    of teaching text."""

    import threading


    class Box:
        """A box."""

        def put(self) -> None:
            """Put."""
            self.n = 1


    def main() -> None:
        print("a demo")


    if __name__ == "__main__":
        main()
    '''
)


def test_code_only_drops_docstrings_the_demo_and_the_blank_lines_they_leave() -> None:
    assert code_only(VARIANT) == [
        "import threading",
        "",
        "class Box:",
        "",
        "    def put(self) -> None:",
        "        self.n = 1",
        "",
    ]


def test_a_change_in_teaching_text_alone_is_no_difference() -> None:
    reworded = VARIANT.replace("several lines", "other words").replace('print("a demo")', "pass")
    assert unified(VARIANT, reworded, ("a.py", "b.py")) == []


def test_side_by_side_folds_long_unchanged_runs_and_marks_changes() -> None:
    changed = VARIANT.replace("self.n = 1", "self.n = 2")
    rows = side_by_side(VARIANT, changed, ("a.py", "b.py"), width=60)
    assert rows[0].startswith("a.py") and "b.py" in rows[0]
    assert any(row.startswith("...") for row in rows)  # the unchanged top, folded
    assert any(" | " in row and "self.n = 1" in row and "self.n = 2" in row for row in rows)
    assert all(len(row) <= 60 for row in rows)
