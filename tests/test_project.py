"""What a newcomer meets first: the main job runs on the one Python they have."""

from __future__ import annotations

from pathlib import Path

import nox
import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def sessions() -> dict[str, object]:
    import runpy

    runpy.run_path(str(ROOT / "noxfile.py"))
    return dict(nox.registry.get())


@pytest.mark.parametrize("name", ["races", "stress"])
def test_the_learners_sessions_run_on_whatever_python_nox_runs_on(
    sessions: dict[str, object], name: str
) -> None:
    session = sessions[name]
    assert session.python is None  # type: ignore[attr-defined]  # no pinned version to be missing


def test_the_readme_quick_start_is_the_whole_set_up() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "pip install nox && nox -s races" in quick_start
    assert "pip install nox && nox -s tests" in quick_start


def test_the_readme_lists_the_catalogue_as_races_list_prints_it() -> None:
    from importlib.metadata import EntryPoint

    from races.catalogue import load_catalogue
    from races.catalogue.registry import GROUP
    from races.cli import lesson_table

    readme = (ROOT / "README.md").read_text()
    listed = readme.split("<!-- lessons -->\n", 1)[1].split("\n<!-- /lessons -->", 1)[0]
    builtin = load_catalogue([EntryPoint("builtin", "races.cases", GROUP)])
    assert listed == lesson_table(builtin.ordered()), "regenerate: races list --markdown"
