"""The HTML report: pages that are valid and escaped, and that a real browser draws right.

The first half checks the renderers with a strict parser (every tag closed, one script,
nothing fetched from the network, every piece of the run's text escaped). The second
drives headless Chromium with playwright over the pages ``races run --html`` and
``races stress --html`` write, and asserts on what the browser laid out: one lane per
thread, exactly the conflicting steps highlighted and joined where they are, one bar per
outcome, index links that resolve, no console error, and nothing wider than a phone but
the lanes' own scroll box. It uses the
system's Chromium (``apt-get install chromium``, or ``RACES_CHROMIUM``) and skips without
one.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import platform
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

import races
from races import cli
from races.catalogue import load_catalogue
from races.catalogue.html import outcome_chart, prose, side_by_side
from races.catalogue.source import code_only
from races.core.html import cycle_graph, inline_code
from races.stress import campaign, verdicts_for
from races.stress.campaign import CampaignRow, MeasuredSetting, measured_numbers
from races.vocabulary.kinds import FORBIDDEN

#: The lessons the browser sees: threads, a deadlock, tasks; and one shown on real
#: processes, for its outcome chart.
LESSONS = ("unlocked_counter", "lock_order_deadlock", "async_lost_update")
STRESSED = "daemon_thread_lost_work"
#: The lesson ``races stress --html`` draws, and the one whose docstring's numbers its
#: lesson page charts (the scheduler shows it, so ``races run`` stresses nothing).
STRESS_PAGE = "unlocked_counter"
#: The lanes each lesson's broken variant shows, one per thread or task.
LANES = {
    "unlocked_counter": ["MainThread", "Thread-1 (decrement)", "Thread-2 (decrement)"],
    "lock_order_deadlock": ["MainThread", "Thread-1 (transfer)", "Thread-2 (transfer)"],
    "async_lost_update": ["main", "Task-1 (count_hit)", "Task-2 (count_hit)", "Task-3 (count_hit)"],
}
pytest_plugins = ["pytester"]

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Strict(HTMLParser):
    """A page read strictly: every element closed in order, what it holds, and its text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.sections: list[list[str]] = [[]]  # the text before each variant's section, in it
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"never closed: {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if "variant" in attributes.get("class", "").split():
            self.sections.append([])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] not in ("script", "style"):
            self.text.append(data)
            self.sections[-1].append(data)

    def having(self, cls: str) -> list[dict[str, str]]:
        """The attributes of every element with class ``cls``."""
        return [a for _, a in self.elements if cls in a.get("class", "").split()]


def valid(text: str) -> Strict:
    """``text`` parsed, after checking it is a whole, self-contained, well-formed page."""
    assert text.startswith("<!DOCTYPE html>\n")
    parsed = Strict(text)
    assert parsed.problems == []
    tags = Counter(tag for tag, _ in parsed.elements)
    assert tags["html"] == tags["head"] == tags["body"] == 1
    assert [tag for tag, _ in parsed.elements[:5]] == ["html", "head", "meta", "meta", "title"]
    assert tags["script"] == 1 and tags["style"] == 1 and tags["link"] == 0
    ids = Counter(a["id"] for _, a in parsed.elements if "id" in a)
    assert [i for i, n in ids.items() if n > 1] == []
    for tag, attrs in parsed.elements:
        for name in ("src", "href"):
            assert not re.match(r"(https?:)?//", attrs.get(name, "")), (tag, attrs)
    assert "url(" not in text and "@import" not in text
    return parsed


# ---------------------------------------------------------------------------- the site


def races_cli(*args: str) -> tuple[int, str]:
    """``races ARGS``: its exit code and what it printed.

    It runs on a thread of its own: while a module-scoped browser is open, playwright's
    sync API keeps an event loop running on the test's thread, where no coroutine lesson
    (nor ``asyncio.run``) may start one, and which fixture comes first is up to the order
    the tests are dealt to the workers."""
    out = io.StringIO()
    codes: list[int] = []
    with contextlib.redirect_stdout(out):
        thread = threading.Thread(target=lambda: codes.append(cli.main(list(args))))
        thread.start()
        thread.join()
    assert codes, "races raised: see the thread's exception above"
    return codes[0], out.getvalue()


def run_html(directory: Path, *args: str) -> list[dict[str, Any]]:
    """``races run ARGS --html DIRECTORY --json``: the rows it printed."""
    code, out = races_cli("run", *args, "--html", str(directory), "--json", "--jobs", "1")
    assert code == cli.EXIT_OK
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The pages of three lessons, as ``races run --html`` writes them, and their rows."""
    directory = tmp_path_factory.mktemp("site")
    return directory, run_html(directory, *LESSONS)


@pytest.fixture(scope="module")
def stressed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The page of a broken lesson shown on real processes, with its outcome chart."""
    directory = tmp_path_factory.mktemp("stressed")
    return directory, run_html(directory, STRESSED, "--variant", "broken")


@pytest.fixture(scope="module")
def stress_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """``races stress unlocked_counter --json --html FILE``, a few runs of each setting:
    the page and the variants it printed."""
    path = tmp_path_factory.mktemp("stress") / "unlocked_counter.html"
    code, out = races_cli(
        "stress", STRESS_PAGE, "--runs", "5", "--time", "5", "--json", "--html", str(path)
    )
    # Whether 5 real runs show the bug is up to the interpreter, not to the page.
    assert code in (cli.EXIT_OK, cli.EXIT_FAILURE_FOUND)
    return path, [json.loads(line) for line in out.splitlines()]


def bars_of(page: Strict) -> dict[tuple[str, str], list[dict[str, str]]]:
    """The bars of each variant's section by (variant, setting): the setting whose section
    holds them on a stress page (each setting there, with or without bars), else ""."""
    found: dict[tuple[str, str], list[dict[str, str]]] = {}
    variant = setting = ""
    for _, attrs in page.elements:
        classes = attrs.get("class", "").split()
        if "variant" in classes:
            variant, setting = attrs["id"], ""
        elif "setting" in classes:
            setting = attrs["data-setting"]
            found[variant, setting] = []
        elif "bar" in classes:
            found.setdefault((variant, setting), []).append(attrs)
    return found


def broken_section(page: Strict) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The first (broken) variant's lanes and steps: the lane heads and step cells that come
    before the next variant's section."""
    heads: list[dict[str, str]] = []
    steps: list[dict[str, str]] = []
    sections = 0
    for _, attrs in page.elements:
        classes = attrs.get("class", "").split()
        if "variant" in classes:
            sections += 1
        elif sections == 1 and "lane" in classes and "head" in classes:
            heads.append(attrs)
        elif sections == 1 and "step" in classes:
            steps.append(attrs)
    return list({h["data-thread"]: h for h in heads}.values()), steps  # folded grids repeat


def focus_lines(report: str) -> dict[int, tuple[str, str]]:
    """The steps a text report's focused interleaving shows: step -> (thread, tag)."""
    found = {}
    for line in report.splitlines():
        match = re.match(r"\s+(\d+) (.+?\)) .*\[(.+)\]$", line)
        if match:
            found[int(match.group(1))] = (match.group(2), match.group(3))
    return found


def test_races_run_writes_a_valid_page_per_lesson_and_an_index(
    site: tuple[Path, list[dict[str, Any]]],
) -> None:
    directory, rows = site
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [*(f"{name}.html" for name in LESSONS), "index.html"]
    )
    index = valid((directory / "index.html").read_text())
    # The index lists every variant run with its verdict.
    assert len(index.having("badge")) == len(rows)
    verdicts = Counter(r["verdict"] for r in rows)
    assert verdicts == {"bug shown": 4, "fix holds": 4}
    words = "".join(index.text)
    assert all(words.count(verdict) == n for verdict, n in verdicts.items())
    for name in LESSONS:
        page = valid((directory / f"{name}.html").read_text())
        variants = [a["id"] for a in page.having("variant")]
        assert variants == [r["variant"] for r in rows if r["case"] == name]


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_lesson_page_highlights_exactly_the_conflicting_accesses(
    site: tuple[Path, list[dict[str, Any]]], lesson: str
) -> None:
    directory, rows = site
    page = valid((directory / f"{lesson}.html").read_text())
    heads, steps = broken_section(page)
    assert [h["title"] for h in heads] == LANES[lesson]
    assert {int(s["data-thread"]) for s in steps} <= set(range(len(heads)))
    conflicts = [s for s in steps if "conflict" in s["class"].split()]
    broken = next(r for r in rows if r["case"] == lesson and r["role"] == "broken")
    if broken["result"]["pattern"] != "lost update":
        assert conflicts == []  # a deadlock: its cycle, not accesses, explains it
        return
    # The text report's focused interleaving, made apart from the page's highlighting,
    # tags these steps: the lost update's read, the other thread's write, the write back.
    tagged = focus_lines("".join(page.sections[1]))
    shown = [int(s["data-step"]) for s in conflicts]
    assert len(shown) == 3 and set(shown) <= set(tagged)
    threads = [tagged[step][0] for step in shown]
    assert threads[0] == threads[2] != threads[1]
    assert [tagged[step][1].split()[0] for step in shown] == ["read", "write", "write"]


def test_the_conflict_is_named_by_the_steps_of_the_trace() -> None:
    from races.cases.unlocked_counter import broken

    result = races.explore(broken.scenario)
    cause = result.findings[0]
    assert result.trace is not None and cause.pattern == "lost update"
    by_index = {step.index: step for step in result.trace}
    for conflict in cause.conflicts:
        assert conflict.access in by_index[conflict.step].accesses
        assert conflict.where is not None and conflict.where[0] == broken.__file__
    # In the order they happened: the order of the trace, not of the steps' numbers.
    ran = [step.index for step in result.trace]
    positions = [ran.index(c.step) for c in cause.conflicts]
    assert positions == sorted(positions) and len(positions) == 3


def test_races_stress_draws_a_bar_per_outcome_of_each_setting_with_its_verdict(
    stress_run: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, variants = stress_run
    page = valid(path.read_text())
    case = load_catalogue().get(STRESS_PAGE)
    assert [a["id"] for a in page.having("variant")] == list(case.variants)
    bars = bars_of(page)
    # One section per setting measured, each with a bar per outcome --json printed.
    assert list(bars) == [
        (v["variant"], setting["setting"]) for v in variants for setting in v["settings"]
    ]
    for variant in variants:
        verdicts = verdicts_for(case.outcomes, broken=variant["role"] == "broken")
        for setting in variant["settings"]:
            drawn = bars[variant["variant"], setting["setting"]]
            counts = {b["data-outcome"]: int(b["data-count"]) for b in drawn}
            assert counts == setting["outcomes"] and len(drawn) == len(counts)
            assert sum(counts.values()) == setting["counted"]
            for bar in drawn:
                # A label adds the value its runs reported: "assertion: 3 decrement(s) lost".
                declared = verdicts.get(bar["data-outcome"].partition(": ")[0], "undeclared")
                assert bar["data-verdict"] == declared
    for words, variant in zip(page.sections[1:], variants, strict=True):
        text = "".join(words)
        assert variant["summary"] in text
        for setting in variant["settings"]:
            assert f"{setting['counted']} of {setting['runs']} runs counted" in text
            assert setting["stopped"] in text


def test_a_scheduler_lesson_page_charts_the_numbers_its_docstring_states(
    site: tuple[Path, list[dict[str, Any]]],
) -> None:
    directory, _ = site
    page = valid((directory / f"{STRESS_PAGE}.html").read_text())
    case = load_catalogue().get(STRESS_PAGE)
    bars = bars_of(page)
    charted = {variant for variant, _ in bars}
    # Only the broken variants' docstrings state measured numbers; the fix charts none.
    assert charted == set(case.broken)
    for variant in case.broken:
        numbers = measured_numbers(case.module(variant).__doc__ or "")
        assert numbers is not None
        drawn = bars[variant, ""]
        assert [
            (b["data-setting"], int(b["data-forbidden"]), int(b["data-counted"])) for b in drawn
        ] == [(s.label, s.forbidden, s.counted) for s in numbers.settings]
        # A forbidden outcome is interesting in a broken variant; where no run counted,
        # nothing was seen.
        assert [b["data-verdict"] for b in drawn] == [
            "interesting" if s.counted else "" for s in numbers.settings
        ]
        text = "".join(page.sections[1 + case.variants.index(variant)])
        assert "Measured on real threads by races stress" in text
        assert f"CPython {numbers.python}" in text and numbers.scheduler in text


def test_races_stress_html_is_for_one_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["--all"], [STRESS_PAGE, "--search", "threads=2..4"]):
        assert cli.main(["stress", *args, "--html", str(tmp_path / "x.html")]) == cli.EXIT_USAGE
        assert "--html draws one case's histograms" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- measured


def lesson_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A broken module of a lesson of its own, where ``write_docstring`` writes."""
    package = tmp_path / "measured_lesson"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "broken.py"
    module.write_text('"""A lesson.\n\nThe fix\n-------\nA lock.\n"""\n\ncount = 0\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(campaign, "_package", lambda case: "measured_lesson")
    return module


def test_the_numbers_write_docstring_writes_are_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = lesson_package(tmp_path, monkeypatch)
    # (label, forbidden, counted, made, stopped): a setting with no run counted, one whose
    # label is wider than its column, one stopped by hangs, one by the time budget.
    measured = [
        ("default switching", 0, 0, 20, ""),
        ("1 us switching", 3, 18, 18, ""),
        ("noise 0.01, and a long setting", 2, 2, 2, "stopped after 2 hang(s), 18 not made"),
        ("fork", 1, 7, 9, "stopped at its 20 s time budget after 9 of 20 runs"),
    ]
    for runs, scheduler in ((20, "9 schedule(s)"), (50, "7 schedule(s)")):  # the second replaces
        row = CampaignRow(
            "a lesson",
            "broken",
            True,
            tuple(campaign._cell(f, c, m, stop) for _, f, c, m, stop in measured),
            sum(f for _, f, _, _, _ in measured),
            scheduler,
            settings=tuple(label for label, *_ in measured),
        )
        assert campaign.write_docstring(row, runs) == str(module)
    doc = ast.get_docstring(ast.parse(module.read_text()), clean=False) or ""
    assert doc.startswith("A lesson.") and doc.count(campaign.MEASURED) == 1
    numbers = measured_numbers(doc)
    assert numbers is not None
    assert (numbers.runs, numbers.python, numbers.cores, numbers.scheduler) == (
        50,
        platform.python_version(),
        str(os.cpu_count()),
        "7 schedule(s)",
    )
    assert numbers.settings == tuple(
        MeasuredSetting(label, f, c, None if c else m, stop.split(",")[0])
        for label, f, c, m, stop in measured
    )


def test_every_lesson_states_numbers_the_parser_reads() -> None:
    for case in load_catalogue().ordered():
        if case.missing() is not None:
            continue
        never_preempts = case.runtime != "threads" and case.needs is None
        for variant in case.variants:
            doc = case.module(variant).__doc__ or ""
            numbers = measured_numbers(doc)  # a row it cannot read raises
            if variant in case.broken and not never_preempts:
                assert numbers is not None and numbers.settings, (case.name, variant)
            else:  # a fix states none; tasks and greenlets state their searches
                assert numbers is None, (case.name, variant)
                assert (campaign.MEASURED in doc) == (variant in case.broken)


# ---------------------------------------------------------------------------- renderers

counter = 0


def _bump() -> None:
    global counter
    value = counter
    counter = value + 1


def tagged_scenario() -> None:
    """A lost update whose threads' names and message are HTML."""
    global counter
    counter = 0
    threads = [threading.Thread(target=_bump, name=f"<b>w{i}</b> & co") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter == 2, "<script>alert('lost')</script>"


def test_every_piece_of_a_runs_text_is_escaped() -> None:
    result = races.explore(tagged_scenario, granularity="line")
    assert result.failed
    text = result.to_html()
    page = valid(text)
    assert "<script>alert" not in text and "<b>w0</b>" not in text
    assert not any(tag == "b" for tag, _ in page.elements)
    words = "".join(page.text)
    assert "<script>alert('lost')</script>" in words and "<b>w0</b> & co" in words
    heads = [a["title"] for a in page.having("lane")]
    assert heads == ["MainThread", "<b>w0</b> & co", "<b>w1</b> & co"]
    # The copy button carries the replay line whole, quotes included.
    (button,) = page.having("copy")
    assert button["data-copy"] == result.replay_line


def test_a_passing_result_is_a_page_too() -> None:
    result = races.explore(_bump, strategy="dfs")
    page = valid(result.to_html())
    assert page.having("step") == [] and page.having("copy") == []
    assert result.summary in "".join(page.text)


@pytest.mark.parametrize(
    ("lesson", "units"),
    [("lock_reentry", 1), ("lock_order_deadlock", 2), ("dining_philosophers", 3)],
)
def test_a_deadlock_is_drawn_as_its_wait_for_cycle(lesson: str, units: int) -> None:
    case = load_catalogue().get(lesson)
    search = case.find.kwargs()
    result = races.explore(case.module("broken").scenario, granularity=case.granularity, **search)
    assert result.failure is not None and len(result.failure.cycle) == units
    page = valid(result.to_html())
    nodes = page.having("node")
    edges = page.having("edge")
    assert [int(n["data-unit"]) for n in nodes] == list(range(units))
    # Each unit waits for the next; the last for the first.
    assert [(int(e["data-from"]), int(e["data-to"])) for e in edges] == [
        (i, (i + 1) % units) for i in range(units)
    ]
    words = " ".join(page.text)
    for name, waits in result.failure.cycle:
        assert name in words and waits in words


def test_the_cycle_graph_escapes_its_names() -> None:
    svg = cycle_graph([("<a>", "waits for <lock>"), ("b&c", "joins")])
    parsed = Strict(svg)
    assert parsed.problems == [] and [t for t, _ in parsed.elements if t == "a"] == []
    assert "&lt;a&gt;" in svg and "b&amp;c" in svg


def test_side_by_side_marks_exactly_the_lines_that_differ() -> None:
    before = "import threading\n\nx = 0\n\ndef f():\n    global x\n    x += 1\n"
    after = "import threading\n\nx = 0\nlock = threading.Lock()\n\ndef f():\n    global x\n"
    after += "    with lock:\n        x += 1\n"
    parsed = Strict(side_by_side(before, after, ("broken.py", "fixed.py")))
    assert parsed.problems == []
    lines = parsed.having("line")
    half = len(lines) // 2
    assert len(lines) == 2 * half  # the columns line up, a filler facing each lone line
    left, right = lines[:half], lines[half:]

    def marks(column: list[dict[str, str]]) -> list[str]:
        return [a["class"].removeprefix("line").strip() for a in column]

    assert marks(left) == ["", "", "", "filler", "", "", "", "changed", "filler"]
    assert marks(right) == ["", "", "", "added", "", "", "", "changed", "added"]
    assert len(code_only(after)) == sum(m != "filler" for m in marks(right))


def test_the_outcome_chart_has_one_bar_per_outcome_with_its_verdict() -> None:
    chart = outcome_chart(
        [("ok", 7), ("assertion", 2), ("hang", 1)], {"ok": "acceptable", "assertion": "interesting"}
    )
    parsed = Strict(chart)
    assert parsed.problems == []
    bars = parsed.having("bar")
    assert [(b["data-outcome"], b["data-count"]) for b in bars] == [
        ("ok", "7"),
        ("assertion", "2"),
        ("hang", "1"),
    ]
    assert [b["data-verdict"] for b in bars] == ["acceptable", "interesting", "undeclared"]
    widths = [float(a["width"]) for tag, a in parsed.elements if tag == "rect"]
    assert widths[0] > widths[1] > widths[2]


def test_a_docstring_becomes_headings_paragraphs_and_preformatted_text() -> None:
    text = (
        "One line.\n\nWhat goes wrong\n---------------\nA `count` is\nlost <here>.\n\n"
        "    41 Thread-1 read\n\n    53 Thread-2 write\n\nAfter."
    )
    html = prose(text)
    parsed = Strict(html)
    assert parsed.problems == []
    assert [tag for tag, _ in parsed.elements] == ["p", "h3", "p", "code", "pre", "p"]
    assert "<pre>41 Thread-1 read\n\n53 Thread-2 write</pre>" in html
    assert "lost &lt;here&gt;." in html
    assert inline_code("an `odd` ` quote") == "an `odd` ` quote"


def test_explore_writes_the_page_it_is_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "report.html"
    code = cli.main(
        ["explore", "tests.scenarios:single_line_counter", "--strategy", "dfs", "--html", str(path)]
    )
    assert code == cli.EXIT_FAILURE_FOUND
    page = valid(path.read_text())
    assert len(page.having("conflict")) == 3
    assert str(path) in capsys.readouterr().err


def test_the_pytest_plugin_writes_a_page_per_failing_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading
        import pytest

        counter = 0

        def bump():
            global counter
            value = counter
            counter = value + 1

        @pytest.mark.races(strategy="dfs", granularity="line")
        def test_lost_update():
            global counter
            counter = 0
            threads = [threading.Thread(target=bump) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert counter == 2

        @pytest.mark.races(strategy="dfs")
        def test_alone():
            bump()
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly", "--races-html", "pages")
    result.assert_outcomes(passed=1, failed=1)
    pages = sorted((pytester.path / "pages").iterdir())
    assert [p.name for p in pages] == [
        "test_the_pytest_plugin_writes_a_page_per_failing_test.py_test_lost_update.html"
    ]
    assert len(valid(pages[0].read_text()).having("conflict")) == 3
    result.stdout.fnmatch_lines(["*the report's page: *test_lost_update.html"])


# ---------------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, the system's, for the whole module."""
    executable = os.environ.get("RACES_CHROMIUM") or shutil.which("chromium")
    if executable is None:
        missing = "no Chromium: apt-get install chromium, or set RACES_CHROMIUM to one"
        if os.environ.get("CI"):  # CI installs it: a skip there would hide a failure
            pytest.fail(missing)
        pytest.skip(missing)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


#: First of all a test's fixtures: without a browser, it skips before building pages.
needs_browser = pytest.mark.usefixtures("browser")


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """Open a file in a new page; at the end, the console must have shown no error."""
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def open_(path: Path, width: int = 1280) -> Any:
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path.as_uri())
        return page

    yield open_
    context.close()
    assert errors == []


def screenshot(page: Any, path: Path) -> None:
    """The whole page as a PNG at ``path`` (written here: playwright would write it from a
    thread pool that outlives the test)."""
    image = page.screenshot(full_page=True)
    assert image.startswith(b"\x89PNG") and len(image) > 10_000
    path.write_bytes(image)


#: Where each arrow of the first lanes starts and ends, against the cells it joins.
ARROWS = """() => {
  const grid = document.querySelector("section.variant section.result > .lanes .lane-grid");
  const cell = (step) => grid.querySelector(`.step[data-step="${step}"]`).getBoundingClientRect();
  return [...grid.querySelectorAll("path.conflict-arrow, path.sync-edge")].map((path) => {
    const m = path.getScreenCTM();
    const at = (p) => new DOMPoint(p.x, p.y).matrixTransform(m);
    const a = at(path.getPointAtLength(0));
    const b = at(path.getPointAtLength(path.getTotalLength()));
    const from = cell(path.dataset.from), to = cell(path.dataset.to);
    const inside = (p, r) => p.y > r.top && p.y < r.bottom && p.x > r.left - 1 && p.x < r.right + 1;
    return [path.getAttribute("class"), inside(a, from), inside(b, to)];
  });
}"""


@pytest.mark.parametrize("lesson", LESSONS)
@needs_browser
def test_the_browser_draws_one_lane_per_thread_and_joins_the_conflicts(
    site: tuple[Path, list[dict[str, Any]]], open_page: Any, tmp_path: Path, lesson: str
) -> None:
    directory, _ = site
    page = open_page(directory / f"{lesson}.html")
    first = page.locator("section.variant").first
    grid = first.locator("section.result > .lanes .lane-grid")  # the lanes not folded
    heads = grid.locator(".head.lane")
    assert heads.all_inner_texts() == LANES[lesson]
    # Every step sits in the lane of its thread.
    lanes = heads.evaluate_all("heads => heads.map(h => h.getBoundingClientRect().left)")
    cells = grid.locator(".step").evaluate_all(
        "cells => cells.map(c => [+c.dataset.thread, c.getBoundingClientRect().left])"
    )
    assert cells and all(left == lanes[thread] for thread, left in cells)
    conflicts = first.locator(".step.conflict")
    arrows = page.evaluate(ARROWS)
    joins = [a for a in arrows if a[0] == "conflict-arrow"]
    assert len(joins) == max(0, conflicts.count() - 1)
    # The arrows, drawn in em over the lanes, start and end on the cells they join.
    assert all(start and end for _, start, end in arrows), arrows
    if lesson == "lock_order_deadlock":
        assert page.locator("figure.cycle .node").count() == 2
    else:
        assert conflicts.count() == 3
    screenshot(page, tmp_path / f"{lesson}.png")


@needs_browser
def test_the_copy_button_copies_the_replay_line(
    site: tuple[Path, list[dict[str, Any]]], open_page: Any
) -> None:
    directory, _ = site
    page = open_page(directory / "unlocked_counter.html")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    line = page.locator(".replay-line").first.inner_text()
    assert line.startswith("races.replay(races.cases.unlocked_counter.broken.scenario, ")
    button = page.locator("button.copy").first
    button.click()
    page.wait_for_function("b => b.textContent !== 'copy'", arg=button.element_handle())
    if button.inner_text() == "copied":
        assert page.evaluate("navigator.clipboard.readText()") == line
    else:  # no clipboard here: the line is selected for Ctrl-C
        assert page.evaluate("String(window.getSelection())") == line


@needs_browser
def test_the_index_links_every_lesson_and_each_link_resolves(
    site: tuple[Path, list[dict[str, Any]]], open_page: Any
) -> None:
    directory, rows = site
    page = open_page(directory / "index.html")
    assert page.locator("tr[data-case]").evaluate_all(
        "rows => rows.map(r => r.dataset.case)"
    ) == list(LESSONS)
    hrefs = page.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert len(hrefs) == len(LESSONS) + len(rows)
    for href in hrefs:
        url = urlparse(href)
        target = Path(unquote(url.path))
        assert target.is_file(), href
        if url.fragment:
            assert f'id="{url.fragment}"' in target.read_text()


@needs_browser
def test_the_outcome_chart_has_a_bar_per_outcome(
    stressed: tuple[Path, list[dict[str, Any]]], open_page: Any, tmp_path: Path
) -> None:
    directory, (row,) = stressed
    outcomes = dict(row["stress"]["outcomes"])
    page = open_page(directory / f"{STRESSED}.html")
    bars = page.locator("figure.chart .bar")
    counted = bars.evaluate_all("bars => bars.map(b => [b.dataset.outcome, +b.dataset.count])")
    assert dict(counted) == outcomes and len(counted) == len(outcomes)
    case = load_catalogue().get(STRESSED)
    for outcome, verdict in bars.evaluate_all(
        "bars => bars.map(b => [b.dataset.outcome, b.dataset.verdict])"
    ):
        declared = case.outcomes[outcome][0]
        assert verdict == ("interesting" if declared == FORBIDDEN else "acceptable")
    # The bars the browser draws are as long as their counts say.
    widths = [box["width"] for box in (b.locator("rect").bounding_box() for b in bars.all())]
    counts = [count for _, count in counted]
    assert widths.index(max(widths)) == counts.index(max(counts))
    screenshot(page, tmp_path / f"{STRESSED}.png")


@needs_browser
def test_the_stress_page_has_a_bar_per_outcome_of_each_setting(
    stress_run: tuple[Path, list[dict[str, Any]]], open_page: Any, tmp_path: Path
) -> None:
    path, variants = stress_run
    page = open_page(path)
    drawn = page.locator("section.setting").evaluate_all(
        """sections => sections.map((s) => [
          s.closest("section.variant").id, s.dataset.setting,
          [...s.querySelectorAll("figure.chart .bar")].map((b) => [
            b.dataset.outcome, +b.dataset.count, b.querySelector("rect").getBBox().width,
          ]),
        ])"""
    )
    assert [(v, s) for v, s, _ in drawn] == [
        (v["variant"], s["setting"]) for v in variants for s in v["settings"]
    ]
    settings = [s for v in variants for s in v["settings"]]
    for (_, _, bars), setting in zip(drawn, settings, strict=True):
        assert {o: n for o, n, _ in bars} == setting["outcomes"]
        assert len(bars) == len(setting["outcomes"])
        # The most common outcome, first, has the longest bar.
        assert all(bars[0][2] >= w for _, _, w in bars)
    screenshot(page, tmp_path / "stress.png")
    phone = open_page(path, width=390)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


#: Elements that stick out of the page on the right, outside any box that scrolls.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !scrolls(el))
    .map((el) => el.tagName + "." + el.className);
}"""


@pytest.mark.parametrize(
    "name", ["unlocked_counter.html", "lock_order_deadlock.html", "index.html"]
)
@needs_browser
def test_pages_fit_a_phone_with_only_the_lanes_scrolling(
    site: tuple[Path, list[dict[str, Any]]], open_page: Any, name: str
) -> None:
    directory, _ = site
    page = open_page(directory / name, width=390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(OVERFLOW) == []
    if name != "index.html":
        lanes = page.locator(".lanes").first
        box = lanes.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
        # The lanes are wider than the phone: they scroll inside their own box.
        assert lanes.evaluate("el => el.scrollWidth > el.clientWidth")
