"""``parkpi prepare``: parse the dbt project (the manifest Dagster reads)."""

from __future__ import annotations

import argparse

from orchestration.cli.home import dagster_home
from sources.settings import export_for_dbt


def register(commands) -> argparse.ArgumentParser:
    return commands.add_parser("prepare", help="parse the dbt project (manifest for Dagster)")


def handle(_: argparse.Namespace) -> int:
    from orchestration.lib.dbt import prepare_dbt

    export_for_dbt()
    dagster_home()
    prepare_dbt()
    return 0
