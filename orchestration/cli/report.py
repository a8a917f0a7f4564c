"""``parkpi report``: re-write the leadership report from the published snapshot."""

from __future__ import annotations

import argparse
import sys

from sources.settings import get_settings


def register(commands) -> argparse.ArgumentParser:
    return commands.add_parser(
        "report",
        help="re-write the leadership report (HTML + xlsx) from the published snapshot",
        description="Re-write report/ in PARKPI_PUBLISH_DIR from the published snapshot kpi.duckdb. "
        "Example: parkpi report",
    )


def handle(_: argparse.Namespace) -> int:
    """Re-write the leadership report from the published snapshot (never the warehouse)."""
    from serving.report import build_report
    from serving.snapshot import SNAPSHOT_FILE

    settings = get_settings()
    snapshot = settings.publish_dir / SNAPSHOT_FILE
    if not snapshot.exists():
        print(f"parkpi report: no published snapshot at {snapshot}; run `parkpi run` first", file=sys.stderr)
        return 2
    report = build_report(snapshot, settings.publish_dir / "report")
    print(f"report for {report.year}: {report.html}\n            {report.xlsx}")
    return 0
