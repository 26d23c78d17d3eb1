"""The ``races`` command: the catalogue of cases, and exploring your own scenarios.

Exit codes:
  0  everything as expected: no failure found, or every broken case showed its bug and
     every fix held
  1  a failure was found (explore, replay), or a case did not behave as declared (run)
  2  usage error: an unknown option or case, a target that cannot be imported, a
     malformed schedule
  3  a plugin or case could not be loaded; every other case still ran
  4  races itself failed (out of threads or memory, or a bug in races): not a verdict
     on your code
  130  interrupted (Ctrl-C): what was found so far is printed
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import inspect
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import races
from races.core.strategies.registry import names as strategy_names
from races.core.targets import load
from races.runtimes.threads import births
from races.vocabulary.errors import InternalError, RacesError

if TYPE_CHECKING:
    from races.catalogue.case import Case
    from races.vocabulary.outcome import Outcome

EXIT_OK = 0
EXIT_FAILURE_FOUND = 1
EXIT_USAGE = 2
EXIT_PLUGIN_ERROR = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A mistake on the command line, reported as one line with exit code 2."""


def load_scenario(target: str) -> Callable[..., object]:
    """``package.module:function`` to the function it names."""
    return load(target)


def _catalogue() -> Any:
    from races.catalogue import load_catalogue

    return load_catalogue()


def _report_plugin_errors(catalogue: Any) -> int:
    for error in catalogue.errors:
        print(f"races: error: {error}", file=sys.stderr)
    return EXIT_PLUGIN_ERROR if catalogue.errors else EXIT_OK


def _case(catalogue: Any, name: str) -> Any:
    try:
        return catalogue.get(name)
    except LookupError as exc:
        raise UsageError(str(exc)) from None


def _variant(case: Any, variant: str | None) -> str:
    if variant is None:
        return str(case.broken[0])
    if variant not in case.variants:
        close = difflib.get_close_matches(variant, case.variants, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(
            f"case {case.name!r} has no variant {variant!r}{hint} "
            f"(its variants: {', '.join(case.variants)})"
        )
    return variant


def _search_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "strategy": args.strategy,
        "budget": args.budget,
        "seed": args.seed,
        "granularity": args.granularity,
        "shrink_time": args.shrink_time,
    }


# ---------------------------------------------------------------- commands


def cmd_list(args: argparse.Namespace) -> int:
    catalogue = _catalogue()
    if args.markdown:
        print(lesson_table(catalogue.ordered()))
        return _report_plugin_errors(catalogue)
    rows = [("case", "bug class", "plugin", "title")]
    rows += [(c.name, c.bug_class, c.origin, c.title) for c in catalogue.ordered()]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
        )
    return _report_plugin_errors(catalogue)


def lesson_table(cases: Sequence[Case]) -> str:
    """The catalogue as the README lists it: number, case, title, and how it is shown."""
    lines = ["| # | case | lesson | shown by |", "|---|---|---|---|"]
    for case in cases:
        if case.needs is not None:
            how = "real " + case.needs.split(":")[0]
        else:
            how = {"asyncio": "the scheduler, tasks", "gevent": "the scheduler, greenlets"}.get(
                case.runtime, "the scheduler, threads"
            )
        if case.requires:
            how += f" (needs {', '.join(case.requires)})"
        if case.programs:
            how += f" (needs {', '.join(p for p, _ in case.programs)})"
        lines.append(f"| {case.order} | `{case.name}` | {case.title} | {how} |")
    return "\n".join(lines)


FULL_HELP = "show every step of the interleaving, not only those the report picks"


def cmd_show(args: argparse.Namespace) -> int:
    catalogue = _catalogue()
    case = _case(catalogue, args.case)
    print(f"{case.title}\n{'=' * len(case.title)}")
    print(
        f"bug class: {case.bug_class}; primitives: {', '.join(case.primitives)}; "
        f"granularity: {case.granularity}; plugin: {case.origin}"
    )
    if case.related:
        print(f"see also: {', '.join(case.related)}")
    print("\nOutcomes:")
    for outcome, (verdict, meaning) in case.outcomes.items():
        print(f"  {outcome:<16} {verdict:<11} {meaning}")
    missing = case.missing()
    if missing is not None:
        print(f"\nraces: {case.name} {missing}")
        return EXIT_OK
    from races.catalogue.source import side_by_side, unified

    broken = case.module(case.broken[0])
    print("\n" + inspect.cleandoc(broken.__doc__ or ""))
    before = inspect.getsource(broken)
    for other in (*case.broken[1:], *case.fixes):
        after = inspect.getsource(case.module(other))
        names = (f"{case.broken[0]}.py", f"{other}.py")
        print(f"\n--- {names[0]} against {names[1]}: the code only ---")
        shown = side_by_side if args.side_by_side else unified
        print("\n".join(shown(before, after, names)))
    _show_edges(case)
    return EXIT_OK


def _show_edges(case: Case) -> None:
    """For each fix, the happens-before edge it adds, as one detected run of each shows."""
    if case.runtime != "threads" or case.needs or case.missing():
        return
    from races.core.explain import explain_fix
    from races.runtimes.launch import record

    def run(variant: str) -> Outcome:
        module = case.module(variant)
        if hasattr(module, "setup"):
            module.setup()
        return record(module.scenario, exclude=case.exclude)

    broken = run(case.broken[0])
    shown = False
    for fix in case.fixes:
        lines = explain_fix(broken, run(fix))
        if not lines:
            continue
        if not shown:
            print("\nWhat each fix orders")
            print("--------------------")
            shown = True
        for line in lines:
            print(textwrap.fill(f"{fix}: {line}", 100, subsequent_indent="  "))


def cmd_run(args: argparse.Namespace) -> int:
    from races.catalogue.runner import RunInterrupted, default_workers, run_all
    from races.progress import progress_console, run_progress

    start = time.monotonic()
    catalogue = _catalogue()
    cases = [_case(catalogue, n) for n in args.cases] if args.cases else catalogue.ordered()
    jobs = [
        (c.name, v)
        for c in cases
        for v in ([_variant(c, args.variant)] if args.variant else c.variants)
    ]
    console = None if args.quiet else progress_console()
    try:
        with run_progress(console, len(jobs)) as on_progress:
            rows = run_all(
                catalogue.cases,
                jobs,
                _search_options(args),
                args.jobs or default_workers(),
                on_progress,
            )
    except RunInterrupted as stop:
        if stop.rows:
            _print_rows(stop.rows, args.quiet)
        above = " (shown above)" if stop.rows else ""
        print(
            f"\nraces: interrupted after {time.monotonic() - start:.0f} s: {len(stop.rows)} of "
            f"{len(jobs)} variants finished{above}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if args.html:
        _write_pages(catalogue, rows, Path(args.html))
    if args.write_docstrings:
        _write_printed(catalogue, rows, sys.stderr if args.json else sys.stdout)
    if args.json:
        for row in rows:
            print(json.dumps(row.data))
        failed = [r for r in rows if not r.passed]
        plugin_status = _report_plugin_errors(catalogue)
        if any(r.verdict == "internal error" for r in rows):
            return EXIT_INTERNAL
        return EXIT_FAILURE_FOUND if failed else plugin_status
    failed = _print_rows(rows, args.quiet)
    shown = sum(r.role == "broken" and r.verdict == "bug shown" for r in rows)
    held = sum(r.role == "fix" and r.verdict == "fix holds" for r in rows)
    skipped = [r for r in rows if r.verdict == "skipped"]
    also = f", {len(skipped)} skipped (see above)" if skipped else ""
    print(
        f"\n{shown} bug(s) shown, {held} fix(es) held, {len(failed)} not as declared{also}; "
        f"{len(rows)} variants in {time.monotonic() - start:.0f} s."
    )
    plugin_status = _report_plugin_errors(catalogue)
    if any(r.verdict == "internal error" for r in rows):
        return EXIT_INTERNAL
    if failed:
        return EXIT_FAILURE_FOUND
    return plugin_status


def _write_printed(catalogue: Any, rows: list[Any], out: Any) -> None:
    """Put the report each broken variant printed into its docstring."""
    from races.catalogue.walkthrough import write_docstring

    for row in rows:
        if row.role == "broken" and row.passed and row.failure_report:
            path, changed = write_docstring(
                catalogue.get(row.case), row.variant, row.failure_report
            )
            print(f"printed report {'written to' if changed else 'unchanged in'} {path}", file=out)


def _write_pages(catalogue: Any, rows: list[Any], directory: Path) -> None:
    """A page per lesson run and their index, into ``directory`` (``--html``)."""
    from races.catalogue.html import write_pages

    written = write_pages(directory, catalogue.cases, rows)
    print(
        f"races: {len(written) - 1} lesson page(s) and their index written to {written[-1]}",
        file=sys.stderr,
    )


def _print_rows(rows: list[Any], quiet: bool) -> list[Any]:
    """Each variant's story, then the summary table; when quiet, one line per variant
    instead (the whole story of one not as declared). Returns the rows that did not
    behave as declared."""
    from races.catalogue.runner import summary_table

    for row in rows:
        if quiet and row.passed:
            print(f"{row.case}.{row.variant}: {row.verdict}")
            continue
        print(row.story)
        print()
    if not quiet:
        print(summary_table(rows))
    return [r for r in rows if not r.passed]


def cmd_explore(args: argparse.Namespace) -> int:
    from races.progress import explore_progress, progress_console

    scenario = load_scenario(args.target)
    options = {k: v for k, v in _search_options(args).items() if v is not None}
    start = time.monotonic()
    with explore_progress(progress_console(), args.target, args.budget) as on_progress:
        result = races.explore(
            scenario,
            runtime=args.runtime,
            max_steps=args.max_steps,
            watch=args.watch,
            on_progress=on_progress,
            **options,
        )
    _print_result(result, args, start)
    return EXIT_FAILURE_FOUND if result.failed else EXIT_OK


def cmd_detect(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.target)
    start = time.monotonic()
    result = races.detect(scenario, runtime=args.runtime)
    _print_result(result, args, start)
    return EXIT_FAILURE_FOUND if result.failed else EXIT_OK


def _print_result(result: Any, args: argparse.Namespace, start: float) -> None:
    """The report, or with ``--json`` one JSON object: the result and how long it took;
    with ``--html FILE``, the result's page written there too."""
    if args.html:
        path = Path(args.html)
        path.write_text(result.to_html(), encoding="utf-8")
        print(f"races: the report's page is written to {path}", file=sys.stderr)
    if args.json:
        data = {**result.to_dict(), "seconds": round(time.monotonic() - start, 3)}
        print(json.dumps(data))
    else:
        print(result.render(full=args.full))


def cmd_replay(args: argparse.Namespace) -> int:
    if ":" in args.target:
        scenario = load_scenario(args.target)
        watch = args.watch
        exclude: Sequence[str] = ()
    else:
        from races.catalogue.runner import prepare

        case = _case(_catalogue(), args.target)
        module = case.module(_variant(case, args.variant))
        prepare(module)
        scenario = module.scenario
        watch = args.watch or list(case.watch)
        exclude = case.exclude
    start = time.monotonic()
    result = races.replay(scenario, args.schedule, watch=watch, exclude=exclude)
    _print_result(result, args, start)
    return EXIT_FAILURE_FOUND if result.failed else EXIT_OK


def cmd_stress(args: argparse.Namespace) -> int:
    from races import stress as stress_mode
    from races.catalogue.html import Stressed
    from races.progress import progress_console, stress_progress

    catalogue = _catalogue()
    if args.html and (args.all or not args.case or args.search):
        raise UsageError(
            "--html draws one case's histograms: give a case, without --all or --search"
        )
    if args.all or not args.case:
        return _stress_campaign(catalogue, args)
    case = _case(catalogue, args.case)
    if case.granularity in ("await", "greenlet") and case.needs is None:
        kind = "coroutine" if case.granularity == "await" else "greenlet"
        raise UsageError(
            f"{case.name} is a {kind} lesson: {kind}s never preempt each other, so real "
            "threads' switch interval and noise change nothing. Their real order is the "
            f"default one, which `races run {case.name}` tries first; or run "
            f"python -m {case.package}.{case.broken[0]}"
        )
    variants = [_variant(case, args.variant)] if args.variant else list(case.variants)
    chosen = [stress_mode.Setting(interval=i) for i in args.interval]
    if args.noise:
        chosen = [
            stress_mode.Setting(s.interval, n)
            for s in chosen or [stress_mode.Setting()]
            for n in args.noise
        ]
    ranges = _ranges(args.search)
    from races.stress.histogram import verdict

    failed = False  # a broken variant that did not show its bug, or a fix that failed
    stressed: list[Stressed] = []  # for --html
    for variant in variants:
        module = case.module(variant)
        entry = "stress" if callable(getattr(module, "stress", None)) else "scenario"
        if ranges:
            from races.stress.search import search

            found = search(
                f"{module.__name__}:{entry}", ranges, runs=args.runs, timeout=args.timeout
            )
            if args.json:
                data = {
                    "case": case.name,
                    "variant": variant,
                    "failing": None if found.failing is None else str(found.failing),
                    "examples": found.examples,
                    "shrunk": found.shrunk,
                    "summary": found.render(),
                }
                print(json.dumps(data))
                continue
            print(f"{case.name}.{variant}: {found.render()}")
            continue
        broken = variant in case.broken
        # Switch intervals and noise for threads; a process lesson's start methods apart.
        settings = chosen or list(stress_mode.settings_for(getattr(module, entry)))
        # A broken variant needs one run that shows its bug, not the bug's frequency
        # (--full measures that); every variant keeps to its time budget.
        stop_on = () if args.full or not broken else stress_mode.forbidden_outcomes(case.outcomes)
        title = f"{case.name}.{variant} ({entry}(), up to {args.runs} runs each)"
        verdicts = stress_mode.verdicts_for(case.outcomes, broken=broken)
        try:
            with stress_progress(progress_console(), f"{case.name}.{variant}") as on_run:
                histograms = stress_mode.stress(
                    f"{module.__name__}:{entry}",
                    runs=args.runs,
                    settings=settings,
                    timeout=args.timeout,
                    stop_on=stop_on,
                    seconds=args.time or None,
                    on_run=on_run,
                )
        except stress_mode.StressInterrupted as stop:
            print(stress_mode.render(title, stop.histograms, verdicts))
            raise KeyboardInterrupt(f"interrupted while stressing {case.name}.{variant}") from None
        line, as_declared = verdict(
            variant, histograms, stress_mode.forbidden_outcomes(case.outcomes), broken
        )
        if broken and not as_declared and case.needs is None:
            line += f"; the scheduler shows it every time: races run {case.name}"
        word = next(
            v
            for v in ("bug not shown", "bug shown", "fix fails", "fix holds")
            if f"{variant}: {v}" in line
        )
        stressed.append(Stressed(variant, histograms, word, line, as_declared))
        if args.json:
            data = {
                "case": case.name,
                "variant": variant,
                "role": "broken" if broken else "fix",
                "verdict": word,
                "as_declared": as_declared,
                "summary": line,
                "settings": [h.to_dict() for h in histograms],
            }
            print(json.dumps(data))
            failed = failed or not as_declared
            continue
        print(stress_mode.render(title, histograms, verdicts))
        for histogram in histograms:
            for report in histogram.hang_reports[:1]:
                print(f"    first hang, every thread's stack:\n{report}")
        print(f"  verdict: {line}\n")
        failed = failed or not as_declared
    if args.html:
        _write_stress_page(case, stressed, args)
    return EXIT_FAILURE_FOUND if failed else EXIT_OK


def _write_stress_page(case: Any, stressed: list[Any], args: argparse.Namespace) -> None:
    """The histograms of ``races stress CASE`` as a page (``--html FILE``)."""
    from races.catalogue.html import stress_page

    path = Path(args.html)
    text = stress_page(
        case,
        stressed,
        runs=args.runs,
        seconds=args.time or None,
        timeout=args.timeout,
        full=args.full,
    )
    path.write_text(text, encoding="utf-8")
    print(f"races: the stress page is written to {path}", file=sys.stderr)


def _ranges(specs: Sequence[str]) -> dict[str, tuple[int, int]]:
    """``["threads=2..8"]`` to ``{"threads": (2, 8)}``."""
    ranges = {}
    for spec in specs:
        name, _, span = spec.partition("=")
        low, _, high = span.partition("..")
        if not (name.isidentifier() and low.isdigit() and high.isdigit()):
            raise UsageError(f"--search {spec!r}: write NAME=LOW..HIGH, for example threads=2..8")
        ranges[name] = (int(low), int(high))
    return ranges


def _stress_campaign(catalogue: Any, args: argparse.Namespace) -> int:
    from races.stress.campaign import campaign, table

    # Tasks and greenlets never preempt: their rows say what the scheduler's searches
    # needed instead of what real switching showed.
    jobs = [(c.name, v) for c in catalogue.ordered() if not c.missing() for v in c.variants]
    from races.catalogue.pool import PartlyDone

    try:
        rows = campaign(
            jobs, runs=args.runs, timeout=args.timeout, jobs=args.jobs or os.cpu_count() or 1
        )
    except PartlyDone as stop:
        if stop.results:
            print(table([stop.results[i] for i in sorted(stop.results)]))
        raise KeyboardInterrupt(
            f"interrupted: {len(stop.results)} of {len(jobs)} variants measured (shown above)"
        ) from None
    if args.json:
        for row in rows:
            print(json.dumps(dataclasses.asdict(row)))
    else:
        print(f"Stress campaign: {args.runs} runs per setting, on real threads\n")
        print(table(rows))
    if args.write_docstrings:
        from races.stress.campaign import write_docstring

        for row in rows:
            if row.broken:
                print(f"measured numbers written to {write_docstring(row, args.runs)}")
    leaks = [r for r in rows if not r.broken and r.forbidden_seen]
    for r in leaks:
        print(f"\nfix {r.case}.{r.variant} showed a forbidden outcome under stress")
    return EXIT_FAILURE_FOUND if leaks else EXIT_OK


def cmd_play(args: argparse.Namespace) -> int:
    from races.catalogue import play_view
    from races.catalogue.play import Engine

    case = _case(_catalogue(), args.case)
    play_view.main(Engine(case, _variant(case, args.variant)), plain=args.plain)
    return EXIT_OK


def cmd_exec(args: argparse.Namespace) -> int:
    """Run a script (or ``-m module``) as ``python`` would, with the birth records of
    every lock it makes on (``main`` turned them on): a library it imports has its
    locks' births on record when the script explores."""
    import importlib.util
    import runpy
    import traceback

    target = args.target
    if args.module:
        try:
            found = importlib.util.find_spec(target) is not None
        except ImportError:
            found = False
        if not found:
            raise UsageError(f"no module named {target!r}")
    elif not Path(target).is_file():
        raise UsageError(f"no script {target!r}: give a Python file, or -m module")
    saved = sys.argv, sys.path[:]
    sys.argv = [target, *args.args]
    try:
        if args.module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, str(Path(target).resolve().parent))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            return code or EXIT_OK
        print(code, file=sys.stderr)
        return 1
    except Exception:  # noqa: BLE001 - the script's own error, reported as python does
        traceback.print_exc()
        return 1
    finally:
        sys.argv, sys.path[:] = saved
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from races.catalogue.scaffold import scaffold

    path = scaffold(args.name, Path(args.directory))
    print(f"Created {path}: an installable plugin with one working case and its test.")
    print(f"Next: pip install -e {path} && races list && pytest {path}")
    return EXIT_OK


# ---------------------------------------------------------------- parser


JSON_HELP = (
    "print one JSON object per result instead of the report (verdict, kind, pattern, "
    "schedule, counts, timings), for dashboards; exit codes are the same"
)


def _add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


HTML_HELP = (
    "also write the report as an HTML page to FILE: the interleaving as swimlanes, the "
    "replay line; it opens from the file system, with no network"
)


def _add_html_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--html", metavar="FILE", help=HTML_HELP)


def _add_search_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    none_or = (lambda value: value) if defaults else (lambda value: None)
    parser.add_argument(
        "--strategy",
        choices=strategy_names(),
        default=none_or("random"),
        help="how to search the interleavings (default: random; for cases, the case's)",
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=None,
        help="most schedules to run (default: 1000, 100000 for dfs; for cases, the case's)",
    )
    parser.add_argument(
        "--seed", type=int, default=none_or(0), help="seed of the search (default: 0)"
    )
    parser.add_argument(
        "--shrink-time",
        type=float,
        default=None,
        metavar="SECONDS",
        help="most seconds to spend shrinking a failure (default: 5)",
    )
    parser.add_argument(
        "--granularity",
        choices=("instruction", "line", "greenlet"),
        default=none_or("instruction"),
        help="switch before each instruction or each line (default: instruction); 'greenlet' "
        "runs gevent code after monkey.patch_all() and switches where greenlets wait",
    )


def _add_watch_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="NAME",
        help="a module-level variable to show after each step (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="races",
        description="Make concurrency bugs visible, reproducible and understandable.",
        epilog=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"races {races.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser("list", help="list every case: name, bug class, plugin, title")
    listing.add_argument(
        "--markdown", action="store_true", help="the lesson table of the README, in Markdown"
    )
    listing.set_defaults(func=cmd_list)

    show = commands.add_parser("show", help="show a case's lesson and how each fix differs")
    show.add_argument("case")
    show.add_argument(
        "--side-by-side",
        action="store_true",
        help="the broken code and each fix in two columns (default: a unified diff)",
    )
    show.set_defaults(func=cmd_show)

    run = commands.add_parser("run", help="show each broken case failing and each fix holding")
    run.add_argument("cases", nargs="*", metavar="CASE", help="cases to run (default: all)")
    run.add_argument("--variant", help="run only this variant (e.g. broken, fixed)")
    _add_search_options(run, defaults=False)
    run.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: one per core)"
    )
    run.add_argument(
        "--quiet",
        action="store_true",
        help="one line per variant (and the story of one not as declared), no progress",
    )
    run.add_argument(
        "--write-docstrings",
        action="store_true",
        help="put the report each broken variant prints into its docstring's "
        "'What races prints' section (run it twice: the section moves the lines it cites)",
    )
    _add_json_option(run)
    run.add_argument(
        "--html",
        metavar="DIR",
        help="also write a page per lesson (its lesson, code, swimlanes, outcomes) and "
        "index.html listing every lesson run with its verdicts, into DIR",
    )
    run.set_defaults(func=cmd_run)

    replay = commands.add_parser("replay", help="rerun a case or scenario under one schedule")
    replay.add_argument("target", help="a case name, or a scenario as module:function")
    replay.add_argument("schedule", help="the schedule a failure printed, e.g. 'line@3.12: 4>1'")
    replay.add_argument("--variant", help="the case's variant (default: its broken one)")
    replay.add_argument("--full", action="store_true", help=FULL_HELP)
    _add_watch_option(replay)
    _add_json_option(replay)
    _add_html_option(replay)
    replay.set_defaults(func=cmd_replay)

    explore = commands.add_parser("explore", help="search the interleavings of your own scenario")
    explore.add_argument("target", help="the scenario, as module:function")
    explore.add_argument("--full", action="store_true", help=FULL_HELP)
    _add_search_options(explore, defaults=True)
    explore.add_argument(
        "--runtime",
        choices=("auto", "threads", "asyncio", "gevent"),
        default="auto",
        help="how the scenario runs (default: found from it: a coroutine function runs on "
        "asyncio, anything else on threads; gevent code needs 'gevent')",
    )
    explore.add_argument(
        "--max-steps",
        type=int,
        default=50_000,
        help="steps after which a run counts as never ending (default: 50000)",
    )
    _add_watch_option(explore)
    _add_json_option(explore)
    _add_html_option(explore)
    explore.set_defaults(func=cmd_explore)

    detect = commands.add_parser(
        "detect", help="run your own scenario once and report the races its accesses predict"
    )
    detect.add_argument("target", help="the scenario, as module:function")
    detect.add_argument(
        "--runtime",
        choices=("auto", "threads", "asyncio", "gevent"),
        default="auto",
        help="how the scenario runs (default: a coroutine function on asyncio, anything "
        "else on real threads; gevent code needs 'gevent')",
    )
    detect.add_argument("--full", action="store_true", help=FULL_HELP)
    _add_json_option(detect)
    _add_html_option(detect)
    detect.set_defaults(func=cmd_detect)

    stress = commands.add_parser(
        "stress", help="run cases on real threads and count their outcomes"
    )
    stress.add_argument("case", nargs="?", help="the case (default with --all: every case)")
    stress.add_argument("--all", action="store_true", help="the campaign: every case, one table")
    stress.add_argument(
        "--write-docstrings",
        action="store_true",
        help="with --all: put the measured numbers into each broken module's docstring",
    )
    stress.add_argument(
        "--jobs", type=int, default=None, help="parallel cases (default: one per core)"
    )
    stress.add_argument("--variant", help="only this variant (default: every variant)")
    stress.add_argument(
        "--runs", type=int, default=100, help="most runs per setting (default: 100)"
    )
    stress.add_argument(
        "--time",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="time budget per variant, shared by its settings; 0 for none (default: 20)",
    )
    stress.add_argument(
        "--full",
        action="store_true",
        help="make every run even after a broken variant showed its bug, to measure how "
        "often it shows (by default each setting stops at the first evidence)",
    )
    stress.add_argument(
        "--interval",
        type=float,
        action="append",
        default=[],
        metavar="SECONDS",
        help="a sys.setswitchinterval value (repeatable; default: the "
        "interpreter's default and 1e-6, plus noise 0.01)",
    )
    stress.add_argument(
        "--noise",
        type=float,
        action="append",
        default=[],
        metavar="P",
        help="probability of yielding the GIL before each instruction (repeatable)",
    )
    stress.add_argument(
        "--search",
        action="append",
        default=[],
        metavar="NAME=LOW..HIGH",
        help="let Hypothesis choose this parameter of the variant's stress() in this range, "
        "with the switch interval and noise, and shrink a failing choice (repeatable)",
    )
    stress.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds after which a run counts as hung (default: 10)",
    )
    _add_json_option(stress)
    stress.add_argument(
        "--html",
        metavar="FILE",
        help="also write the histograms as an HTML page to FILE: for each variant and "
        "setting, a bar per outcome with its count, share and verdict; it opens from the "
        "file system, with no network",
    )
    stress.set_defaults(func=cmd_stress)

    play = commands.add_parser(
        "play", help="be the scheduler: pick which thread steps next until the program breaks"
    )
    play.add_argument("case")
    play.add_argument("--variant", help="the case's variant (default: its broken one)")
    play.add_argument(
        "--plain",
        action="store_true",
        help="read moves one a line from standard input and print a plain transcript "
        "(the default when standard input or output is not a terminal)",
    )
    play.set_defaults(func=cmd_play)

    run_script = commands.add_parser(
        "exec",
        help="run a script as python does, with the birth of every lock it makes on record",
        description="Run a script (or -m module) as python does, after races has turned on "
        "its birth records: a lock made by a library the script imports is named, with "
        "the line that made it, if a controlled thread ends up waiting for it. "
        "Acquiring a lock costs what it always does.",
    )
    run_script.add_argument("-m", dest="module", action="store_true", help="run a module")
    run_script.add_argument("target", metavar="SCRIPT", help="a Python file (or module, with -m)")
    run_script.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    run_script.set_defaults(func=cmd_exec)

    new = commands.add_parser("new", help="create a plugin package with one working case")
    new.add_argument("name", help="the plugin's name, a Python identifier such as my_races")
    new.add_argument("--directory", default=".", help="where to create it (default: here)")
    new.set_defaults(func=cmd_new)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    # Locks made from here on (by the modules the command imports) have their births on
    # record, to be named where a controlled thread waits for one.
    births.install()
    try:
        return int(args.func(args))
    except InternalError as exc:
        print(f"races: internal error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt as exc:
        print(f"races: {exc or 'interrupted'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UsageError, RacesError) as exc:  # a mistake of the caller's, named by races
        print(f"races: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `races show x | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # anything else is a fault of races
        error = InternalError(f"running races {args.command}", exc)
        print(f"races: internal error: {error}", file=sys.stderr)
        if os.environ.get("RACES_DEBUG"):
            raise
        return EXIT_INTERNAL
    finally:
        births.uninstall()
