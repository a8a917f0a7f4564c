"""The ``parkpi`` command line: ``parkpi run`` is the main job behind ``make run``. One module
per command; each adds its own sub-parser (``register``) and handles it (``handle``).

Exit codes fit shell scripts: 0 fine, 1 something to look at, 2 could not do it.
"""

from __future__ import annotations

import argparse
import sys

from orchestration.cli import check_file, explain, prepare, report, run, status

COMMANDS = (run, check_file, status, report, explain, prepare)
DESCRIPTION = (
    "parkpi: the KPI warehouse for public administration reform. `parkpi run` loads the landing folder, "
    "builds and checks the KPIs and publishes them. Exit codes: 0 fine, 1 something to look at, 2 could not do it."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="parkpi", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(commands).set_defaults(handler=command.handle)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
