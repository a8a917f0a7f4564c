"""``parkpi explain``: how a published figure is made, down to the landing files' lines."""

from __future__ import annotations

import argparse
import sys

from sources.settings import get_settings

EXAMPLES = (
    "Examples: parkpi explain on_time_rate 2025 | parkpi explain online_submission_rate 2025-Q3 --scope "
    "000.00.20.H33 | parkpi explain overdue_open_at_year_end 2025-ytd-9 --change --limit 20 | "
    "parkpi explain dossiers_received 2025-07 --json > explain.json"
)


def register(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "explain",
        help="how a published figure is made: value, numerator, denominator, the rows and their landing lines",
        description="Explain one published figure from the published snapshot (never the warehouse, so it never "
        "waits for or blocks a run): its definition, value, numerator and denominator, every row behind it flagged "
        "in or out of the numerator with the landing file(s) and line(s) it came from, and with --change each "
        "agency's contribution to the change against the same period of last year. " + EXAMPLES,
    )
    parser.add_argument("indicator", help="indicator code, e.g. on_time_rate (see docs/indicators.md)")
    parser.add_argument("period", help="2025 (year), 2025-Q3 (quarter), 2025-07 (month), 2025-ytd-9 (Jan-Sep)")
    parser.add_argument("--scope", default="ALL", help="ALL (the province, default) or an agency code of today")
    parser.add_argument("--change", action="store_true", help="change against the same period of last year by agency")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="list at most N rows (default: all)")
    return parser


def error(en: str, vi: str) -> int:
    print(f"parkpi explain: {en} / {vi}", file=sys.stderr)
    return 2


def handle(args: argparse.Namespace) -> int:
    from serving.explain import Explainer, ExplainError, json_document, text_document
    from serving.periods import PeriodError, parse_period
    from serving.snapshot import SNAPSHOT_FILE

    if args.limit is not None and args.limit < 0:
        return error("--limit must be 0 or more", "--limit phải từ 0 trở lên")
    snapshot = get_settings().publish_dir / SNAPSHOT_FILE
    if not snapshot.exists():
        return error(
            f"no published snapshot at {snapshot}; run `parkpi run` first",
            f"chưa có bản công bố tại {snapshot}; hãy chạy `parkpi run` trước",
        )
    try:
        period = parse_period(args.period)
    except PeriodError as bad:
        return error(bad.en, bad.vi)
    with Explainer(snapshot) as explainer:
        try:
            explanation = explainer.explain(args.indicator, period, args.scope, change=args.change)
        except ExplainError as bad:
            return error(bad.en, bad.vi)
        render = json_document if args.json else text_document
        out = sys.stdout
        for piece in render(explainer, explanation, args.limit, change=args.change):
            out.write(piece if args.json else piece + "\n")
        out.flush()
    if args.change and explanation.change_note is not None and args.json:
        print(f"parkpi explain: {explanation.change_note[0]} / {explanation.change_note[1]}", file=sys.stderr)
    for problem in explanation.mismatches:
        print(f"parkpi explain: WARNING {problem}: the rows listed do not make the published figure", file=sys.stderr)
    return 1 if explanation.mismatches else 0
