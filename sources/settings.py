"""The one place where parkpi's locations and knobs are read.

Python (sources/, orchestration/, the CLI, tests) reads them here; dbt reads the same
environment variables in ``dbt_project/profiles.yml``. :func:`export_for_dbt` writes the
resolved, absolute values back into the environment so that a dbt started from any folder
sees exactly what Python sees.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SAMPLE_LANDING_DIR = PROJECT_ROOT / "sources" / "sample"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    publish_dir: Path
    memory_limit: str
    dbt_memory_limit: str

    @property
    def warehouse_dir(self) -> Path:
        return self.warehouse.parent


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "").strip()
    path = Path(value).expanduser() if value else default
    return path if path.is_absolute() else (Path.cwd() / path)


def get_settings() -> Settings:
    """Read the settings now (not at import time, so tests can point them at tmp dirs)."""
    return Settings(
        landing_dir=_path("PARKPI_LANDING_DIR", SAMPLE_LANDING_DIR).resolve(),
        warehouse=_path("PARKPI_WAREHOUSE", PROJECT_ROOT / "warehouse" / "parkpi.duckdb"),
        publish_dir=_path("PARKPI_PUBLISH_DIR", PROJECT_ROOT / "warehouse" / "published"),
        # DuckDB's default is 80 % of RAM; a bounded limit makes big loads spill to disk
        # instead of growing the process (benchmarks target <= 2 GB peak RSS).
        memory_limit=os.environ.get("PARKPI_DUCKDB_MEMORY_LIMIT", "1GB"),
        dbt_memory_limit=os.environ.get("PARKPI_DBT_MEMORY_LIMIT", "2GB"),
    )


def as_of() -> dt.datetime:
    """ "Now" for the freshness checks: PARKPI_AS_OF (YYYY-MM-DD) for historic data such as the
    bundled sample, otherwise the current local time."""
    value = os.environ.get("PARKPI_AS_OF", "").strip()
    return dt.datetime.fromisoformat(value) if value else dt.datetime.now()


def export_for_dbt(settings: Settings | None = None) -> Settings:
    settings = settings or get_settings()
    os.environ["PARKPI_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["PARKPI_WAREHOUSE"] = str(settings.warehouse)
    os.environ["PARKPI_PUBLISH_DIR"] = str(settings.publish_dir)
    os.environ["PARKPI_DBT_MEMORY_LIMIT"] = settings.dbt_memory_limit
    return settings
