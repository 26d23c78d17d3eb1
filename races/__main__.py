"""``python -m races``: the command-line interface."""

from races.cli import main

raise SystemExit(main())
