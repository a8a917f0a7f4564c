"""The one place where parkpi's locations and knobs are read.

Python (sources/, orchestration/, the CLI, tests) reads them here; dbt reads the same
environment variables in ``dbt_project/profiles.yml``. :func:`export_for_dbt` writes the
resolved, absolute values back into the environment so that a dbt started from any folder
sees exactly what Python sees.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SAMPLE_LANDING_DIR = PROJECT_ROOT / "sources" / "sample"

# The engines dbt can run the transformations on (docs/scaling.md): DuckDB inside this
# process's machine (the default), or Apache Spark over the Parquet lake.
ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    publish_dir: Path
    memory_limit: str
    dbt_memory_limit: str
    engine: str = "duckdb"
    lake_dir: Path | None = None  # None: beside the warehouse (``warehouse/lake``)
    lake_asked: bool = False  # PARKPI_LAKE_DIR set: write the lake whatever the engine
    spark_master: str = "local[*]"
    spark_driver_memory: str = "1g"
    # PARKPI_SPARK_DATA_TESTS=0: dbt's data tests are left out of the Spark build (the parity test
    # does so: they run on the DuckDB build of the same data; bench/spark_parity.py runs them on Spark)
    spark_data_tests: bool = True

    @property
    def warehouse_dir(self) -> Path:
        return self.warehouse.parent

    @property
    def lake(self) -> Path:
        """The Parquet lake: the raw layer as Hive-partitioned files (sources/lake.py)."""
        return self.lake_dir or self.warehouse_dir / "lake"

    @property
    def writes_lake(self) -> bool:
        """Spark reads the lake; with DuckDB it is written only when PARKPI_LAKE_DIR asks for it."""
        return self.engine == "spark" or self.lake_asked

    @property
    def spark_dir(self) -> Path:
        """Spark's own files for this warehouse (its table output, scratch space, logs): never
        in the working directory, where Spark would put them by default."""
        return self.warehouse_dir / "spark"


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "").strip()
    path = Path(value).expanduser() if value else default
    return path if path.is_absolute() else (Path.cwd() / path)


def engine_from(value: str | None) -> str:
    engine = (value or "duckdb").strip().lower() or "duckdb"
    if engine not in ENGINES:
        raise ValueError(f"PARKPI_ENGINE={value!r}: one of {', '.join(ENGINES)}")
    return engine


def get_settings() -> Settings:
    """Read the settings now (not at import time, so tests can point them at tmp dirs)."""
    lake = os.environ.get("PARKPI_LAKE_DIR", "").strip()
    return Settings(
        landing_dir=_path("PARKPI_LANDING_DIR", SAMPLE_LANDING_DIR).resolve(),
        warehouse=_path("PARKPI_WAREHOUSE", PROJECT_ROOT / "warehouse" / "parkpi.duckdb"),
        publish_dir=_path("PARKPI_PUBLISH_DIR", PROJECT_ROOT / "warehouse" / "published"),
        # DuckDB's default is 80 % of RAM; a bounded limit makes big loads spill to disk
        # instead of growing the process (benchmarks target <= 2 GB peak RSS).
        memory_limit=os.environ.get("PARKPI_DUCKDB_MEMORY_LIMIT", "1GB"),
        dbt_memory_limit=os.environ.get("PARKPI_DBT_MEMORY_LIMIT", "2GB"),
        engine=engine_from(os.environ.get("PARKPI_ENGINE")),
        lake_dir=_path("PARKPI_LAKE_DIR", Path()) if lake else None,
        lake_asked=bool(lake),
        spark_master=os.environ.get("PARKPI_SPARK_MASTER", "").strip() or "local[*]",
        # modest: the JVM shares the machine with DuckDB and Dagster (docs/scaling.md)
        spark_driver_memory=os.environ.get("PARKPI_SPARK_DRIVER_MEMORY", "").strip() or "1g",
        spark_data_tests=os.environ.get("PARKPI_SPARK_DATA_TESTS", "1").strip().lower() not in {"0", "false", "no"},
    )


# One clock for everything operational (load times, runs, checks, the report's footer): the
# province's local time, which is also the time of the sources' own timestamps (without a zone).
TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
TIME_ZONE_LABEL = "giờ VN, UTC+7"
LANDING_SETTINGS = "landing.toml"  # optional, at the root of a landing folder


def local_now() -> dt.datetime:
    """Now in the province's local time, naive (as the warehouse stores times), whole seconds."""
    return dt.datetime.now(TIME_ZONE).replace(tzinfo=None, microsecond=0)


def local_time(value: dt.datetime | float | None) -> dt.datetime | None:
    """A moment as the province's naive local time: an aware datetime or a Unix timestamp is
    converted; a naive datetime is taken to be local time already (parkpi stores them so)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    if value.tzinfo is not None:
        value = value.astimezone(TIME_ZONE).replace(tzinfo=None)
    return value


def format_time(value: dt.datetime | float | None, *, seconds: bool = False) -> str:
    """How parkpi shows an operational time: province local time, labelled once per screen by
    the caller (``TIME_ZONE_LABEL``)."""
    local = local_time(value)
    if local is None:
        return ""
    return f"{local:%Y-%m-%d %H:%M:%S}" if seconds else f"{local:%Y-%m-%d %H:%M}"


def as_of(landing_dir: Path | None = None) -> dt.datetime:
    """The day the data is judged against (freshness checks, the report's period): PARKPI_AS_OF
    (YYYY-MM-DD), else ``as_of`` in the landing folder's ``landing.toml`` (the bundled sample
    describes 2016-2020 and says so there), else now in the province's local time."""
    value = os.environ.get("PARKPI_AS_OF", "").strip()
    if value:
        return dt.datetime.fromisoformat(value)
    settings_file = (landing_dir or get_settings().landing_dir) / LANDING_SETTINGS
    if settings_file.is_file():
        declared = tomllib.loads(settings_file.read_text(encoding="utf-8")).get("as_of")
        if isinstance(declared, dt.datetime):
            return declared.replace(tzinfo=None)
        if isinstance(declared, dt.date):
            return dt.datetime.combine(declared, dt.time())
        if declared is not None:
            raise ValueError(f"{settings_file}: as_of must be a date (as_of = 2021-01-15), not {declared!r}")
    return local_now()


def export_for_dbt(settings: Settings | None = None) -> Settings:
    settings = settings or get_settings()
    os.environ["PARKPI_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["PARKPI_WAREHOUSE"] = str(settings.warehouse)
    os.environ["PARKPI_PUBLISH_DIR"] = str(settings.publish_dir)
    os.environ["PARKPI_DBT_MEMORY_LIMIT"] = settings.dbt_memory_limit
    os.environ["PARKPI_ENGINE"] = settings.engine
    os.environ["PARKPI_SPARK_MASTER"] = settings.spark_master
    os.environ["PARKPI_SPARK_DRIVER_MEMORY"] = settings.spark_driver_memory
    os.environ["PARKPI_SPARK_DIR"] = str(settings.spark_dir)
    return settings
