"""``parkpi report``: write the leadership report from the published snapshot, for the period
the calendar gives (the year to date through the last ended month with data, as of
PARKPI_AS_OF / landing.toml / today) or for any period asked for."""

from __future__ import annotations

import argparse
import sys

from sources.settings import get_settings


def register(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "report",
        help="write the leadership report (HTML + xlsx) from the published snapshot",
        description="Write report/ in PARKPI_PUBLISH_DIR from the published snapshot kpi.duckdb (never the "
        "warehouse). Without --period: the year to date through the last month that ended before the as-of "
        "day and has data, against the same period of the year before. Exit codes: 0 written, 2 no snapshot "
        "or no such period. Example: parkpi report --period 2020-ytd-9",
    )
    parser.add_argument(
        "--period",
        help="2020 (the year), 2020-Q3 (a quarter), 2020-07 (a month) or 2020-ytd-9 (the first 9 months)",
    )
    return parser


def handle(args: argparse.Namespace) -> int:
    from serving.periods import PeriodError
    from serving.report import build_report
    from serving.report_data import ReportError
    from serving.snapshot import SNAPSHOT_FILE

    settings = get_settings()
    snapshot = settings.publish_dir / SNAPSHOT_FILE
    if not snapshot.exists():
        print(
            f"parkpi report: no published snapshot at {snapshot}; run `parkpi run` first\n"
            "  chưa có bản công bố; hãy chạy `parkpi run` trước",
            file=sys.stderr,
        )
        return 2
    try:
        report = build_report(snapshot, settings.publish_dir / "report", period=args.period)
    except (PeriodError, ReportError) as error:
        print(f"parkpi report: {error.en}\n  {error.vi}", file=sys.stderr)
        return 2
    print(f"report for {report.period.slug}: {report.html}\n{' ' * (12 + len(report.period.slug))}{report.xlsx}")
    return 0
