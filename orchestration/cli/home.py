"""The Dagster instance (``DAGSTER_HOME``) that CLI runs are recorded in: the one `make dev`'s
UI shows, beside the warehouse."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sources.settings import get_settings

# Runs launched from the UI, schedules and the sensor queue up: one run at a time (and only one
# tagged parkpi/warehouse=writer, every job's tag).
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    # every parkpi run writes the warehouse, including ad-hoc materialisations and backfills
    # from the UI (they run the implicit asset job, which carries no job tags)
    max_concurrent_runs: 1
    tag_concurrency_limits:
      - key: parkpi/warehouse
        value: writer
        limit: 1
"""

# What earlier versions wrote: replaced, so that existing warehouses get the run queue too.
EARLIER_DAGSTER_YAMLS = (
    "telemetry:\n  enabled: false\n",
    "telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    tag_concurrency_limits:\n"
    "      - key: parkpi/warehouse\n        value: writer\n        limit: 1\n",
)


def dagster_home(*, create: bool = True) -> Path:
    """Point DAGSTER_HOME at the warehouse's instance (unless set) and write its dagster.yaml."""
    settings = get_settings()
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(settings.warehouse_dir / "dagster_home")))
    if not create:
        return home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or current in EARLIER_DAGSTER_YAMLS:
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    elif "parkpi/warehouse" not in current:
        print(
            f"parkpi: {config} has no run limit for the tag parkpi/warehouse: runs from the UI, the "
            "schedules and the sensor will not queue behind each other (see docs/operations.md)",
            file=sys.stderr,
        )
    return home
