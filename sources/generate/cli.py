"""`python -m sources.generate`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from sources.generate.bulk import MONTH_EVENTS, generate_portal_events
from sources.generate.sample import generate

# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sources.generate",
        description="Write deterministic parkpi landing data (portal, postal, mailbox, catalog).",
    )
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write")
    parser.add_argument("--scale", type=float, default=1.0, help="dossier volume multiplier")
    parser.add_argument("--seed", type=int, default=None, help="activity seed (default 2017; 7 with --portal-events)")
    parser.add_argument("--clean", action="store_true", help="leave out the deliberately contract-violating rows")
    parser.add_argument(
        "--portal-events",
        type=int,
        default=None,
        metavar="N",
        help="benchmark mode: write about N clean portal events (+ catalogue)",
    )
    parser.add_argument(
        "--month-events",
        type=int,
        nargs="?",
        const=MONTH_EVENTS,
        default=None,
        metavar="M",
        help=f"with --portal-events: months of a fixed size, M events each (default {MONTH_EVENTS:,}), "
        "as many as N needs, from January 2016 on (default: the months of 2016-2020, growing with N)",
    )
    args = parser.parse_args(argv)
    if args.portal_events is not None:
        summary = generate_portal_events(
            args.out,
            args.portal_events,
            seed=7 if args.seed is None else args.seed,
            month_events=args.month_events,
        )
        summary.pop("month_events")  # one count per month file: too long to print
    else:
        summary = generate(
            args.out, scale=args.scale, seed=2017 if args.seed is None else args.seed, messy=not args.clean
        )
        summary.pop("bad_row_details")
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0
