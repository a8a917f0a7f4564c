"""``parkpi status``: what the warehouse holds, the last runs, the check results."""

from __future__ import annotations

import argparse

from orchestration.cli.home import dagster_home
from sources.settings import get_settings


def register(commands) -> argparse.ArgumentParser:
    return commands.add_parser(
        "status",
        help="what is loaded per source and month, the last run, the check results",
        description="Show what the warehouse holds per source (files, rows, rejects, last load; portal rows per "
        "month), the last run and the latest data-quality results. Opens the warehouse read-only, briefly. "
        "Exit codes: 0 healthy, 1 the last run failed or a blocking check failed, 2 no warehouse yet. "
        "Example: parkpi status",
    )


def handle(_: argparse.Namespace) -> int:
    from orchestration.lib.status import print_status

    settings = get_settings()
    if settings.warehouse.exists():  # no Dagster home is created beside a warehouse that is not there
        dagster_home()
    return print_status(settings)
