"""The ``races`` command: explore and replay scenarios from the shell.

Exit codes: 0 when no failure was found (or a replay did not fail), 1 when a failure was
found, 2 for a usage error (an unknown option, a target that cannot be imported, a
malformed schedule).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

import races
from races.errors import RacesError
from races.strategies import NAMES as STRATEGIES

EXIT_OK = 0
EXIT_FAILURE_FOUND = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake on the command line, reported as one line with exit code 2."""


def load_scenario(target: str) -> Callable[[], object]:
    """``package.module:function`` to the function it names."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(
            f"{target!r} is not a scenario: name it as module:function, for example "
            "myproject.tests.races:transfer_scenario"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"cannot import {module_name!r}: {exc}") from exc
    obj: object = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"{module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{target} is not callable")
    return obj


def _add_search_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default="random",
        help="how to search the interleavings (default: random)",
    )
    parser.add_argument(
        "--budget",
        type=int,
        default=None,
        help="most schedules to run (default: 1000; 100000 for dfs)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the search (default: 0)")
    parser.add_argument(
        "--granularity",
        choices=("instruction", "line"),
        default="instruction",
        help="switch before each instruction or each line (default: instruction)",
    )
    parser.add_argument(
        "--max-steps",
        type=int,
        default=50_000,
        help="steps after which a run counts as never ending (default: 50000)",
    )
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
        epilog="Exit codes: 0 no failure found, 1 failure found, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"races {races.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    explore = commands.add_parser("explore", help="search the interleavings of a scenario")
    explore.add_argument("target", help="the scenario, as module:function")
    _add_search_options(explore)

    replay = commands.add_parser("replay", help="rerun a scenario under one schedule")
    replay.add_argument("target", help="the scenario, as module:function")
    replay.add_argument("schedule", help="the schedule a failure printed, e.g. 'line: 4>1'")
    replay.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="NAME",
        help="a module-level variable to show after each step (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        scenario = load_scenario(args.target)
        if args.command == "explore":
            result = races.explore(
                scenario,
                strategy=args.strategy,
                budget=args.budget,
                seed=args.seed,
                granularity=args.granularity,
                max_steps=args.max_steps,
                watch=args.watch,
            )
        else:
            result = races.replay(scenario, args.schedule, watch=args.watch)
    except (UsageError, RacesError, ValueError, TypeError) as exc:
        print(f"races: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(result.render())
    return EXIT_FAILURE_FOUND if result.failed else EXIT_OK
