"""Print the share of mutants killed from mutmut's statistics (``nox -s mutants``)."""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    with open(path) as f:
        stats = json.load(f)
    killed = stats.get("killed", 0) + stats.get("timeout", 0)  # a timeout is a caught mutant
    survived = stats.get("survived", 0)
    judged = killed + survived
    if not judged:
        print("no mutant was tested")
        return 1
    print(
        f"mutants killed: {killed} of {judged} ({killed / judged:.0%}); survived: {survived}; "
        f"skipped or not checked: {stats.get('skipped', 0) + stats.get('no_tests', 0)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
