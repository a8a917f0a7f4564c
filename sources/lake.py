"""The Parquet lake: the raw layer as open, engine-neutral files, kept in step with the raw tables.

What Spark reads (dbt's ``spark`` target, docs/scaling.md), and a hand-off anyone else can read
without parkpi: every contract-valid raw row with its lineage columns, and the catalogue, as
zstd Parquet under ``$PARKPI_LAKE_DIR`` (default: ``lake/`` beside the warehouse)::

    <source>/<entity>/year=YYYY/month=M/part-0.parquet   the entity holding the source's period_field
    <source>/<entity>/part-0.parquet                     every other entity (one file)
    <source>/<change log>/part-0.parquet                 the source's change log (portal: dossier_changes)
    <source>/_lake_state.json                            what the lake holds: each landing file's load

Kept in step by the loader's change set: the lake records, per landing file, the load that
last wrote its rows (the raw manifest's ``_load_id``) and the months they fall in. A file whose
load id differs (added, changed, re-read) or that is gone marks its old and new months; only
those partitions are rewritten, from the raw table, each by an atomic rename of a complete
file. A source without any change is not touched; an entity without a period field is one
file, rewritten when one of its files changed. A run killed half-way leaves the old state
file, so the next run rewrites the same partitions again: the result is the same.

Plain Python over DuckDB, no Dagster (orchestration/defs/lake.py wraps it as assets).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.contract import Entity, Source
from sources.registry import SOURCES
from sources.warehouse import quote

STATE_FILE = "_lake_state.json"
STATE_VERSION = 2  # 2: the raw tables' derived columns (portal events' _dossier_key)
PARTITION_COLUMNS = ("year", "month")
DATA_FILE = "part-0.parquet"
STAGING_DIR = "_staging"  # under the lake root: Spark and Hive skip names starting with "_"
_PARQUET = "FORMAT parquet, COMPRESSION zstd"

# The raw layer's SQL types as Spark SQL declares them (the lake keeps DuckDB's types: a
# TIMESTAMP is a Parquet timestamp without time zone, Spark's timestamp_ntz).
SPARK_TYPES = {
    "VARCHAR": "string",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "TIMESTAMP": "timestamp_ntz",
    "DATE": "date",
}


@dataclass(frozen=True)
class LakeTable:
    """One table of the lake: a raw entity or a change log."""

    source: Source
    name: str  # the raw table's name, also the lake folder's
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB SQL type)
    period_field: str | None = None  # partitioned by year and month of this column

    @property
    def schema(self) -> str:
        return self.source.schema

    def folder(self, lake_dir: Path) -> Path:
        return lake_dir / self.source.token / self.name

    def glob(self, lake_dir: Path) -> str:
        """The files, as DuckDB's read_parquet takes them (with ``hive_partitioning = true``)."""
        return str(self.folder(lake_dir) / ("*/*/*.parquet" if self.period_field else "*.parquet"))


def lake_tables(source: Source) -> list[LakeTable]:
    """The tables a source has in the lake, in the order of its raw schema."""
    tables = []
    for entity in source.entities:
        columns = entity.raw_columns
        partitioned = source.period_field if _has_field(entity, source.period_field) else None
        tables.append(LakeTable(source, entity.name, columns, partitioned))
    if source.change_log:
        log = source.change_log
        tables.append(LakeTable(source, log.table, (("_load_id", "BIGINT"), (log.key, "VARCHAR"))))
    return tables


def _has_field(entity: Entity, name: str | None) -> bool:
    return name is not None and any(f.name == name for f in entity.fields)


def spark_tables(lake_dir: Path) -> list[dict]:
    """Every lake table as Spark declares it over the files (dbt's ``register_lake_tables``
    macro reads this list from the environment, PARKPI_LAKE_TABLES): the schema is declared,
    not inferred, so a table whose source has no rows yet still exists, with its columns."""
    described = []
    for source in SOURCES.values():
        for table in lake_tables(source):
            columns = [[name, SPARK_TYPES[sql_type]] for name, sql_type in table.columns]
            if table.period_field:
                columns += [[column, "int"] for column in PARTITION_COLUMNS]
            described.append(
                {
                    "schema": table.schema,
                    "table": table.name,
                    "location": str(table.folder(lake_dir)),
                    "columns": columns,
                    "partitioned_by": list(PARTITION_COLUMNS) if table.period_field else [],
                }
            )
    return described


@dataclass
class LakeResult:
    source: str
    changed_files: int = 0
    written: list[str] = field(default_factory=list)  # partitions and files rewritten
    removed: list[str] = field(default_factory=list)  # partitions left without rows
    rows_written: int = 0
    seconds: float = 0.0

    @property
    def unchanged(self) -> bool:
        return not (self.written or self.removed)


def sync_source(con: duckdb.DuckDBPyConnection, source: Source, lake_dir: Path, *, full: bool = False) -> LakeResult:
    """Bring the source's lake tables in line with its raw tables (see the module doc);
    ``full`` rewrites every table and drops partitions the raw table no longer has."""
    started = time.perf_counter()
    result = LakeResult(source.token)
    root = lake_dir / source.token
    loaded = _loaded_files(con, source)
    state = None if full else _read_state(root)
    known: dict[str, dict] = state["files"] if state else {}
    changed = sorted(
        {path for path, load_id in loaded.items() if known.get(path, {}).get("load_id") != load_id}
        | (set(known) - set(loaded))
    )
    result.changed_files = len(changed)
    if state is not None and not changed:
        result.seconds = time.perf_counter() - started
        return result
    staging = lake_dir / STAGING_DIR / f"{source.token}-{uuid.uuid4().hex[:12]}"
    try:
        new_months: dict[str, list[str]] = {}
        for table in lake_tables(source):
            if table.period_field:
                months_now = _file_months(con, table, [p for p in changed if p in loaded])
                new_months.update(months_now)
                if state is None:
                    months = _all_months(con, table) | _months_on_disk(table, lake_dir)
                else:
                    months = {m for p in changed for m in known.get(p, {}).get("months", [])}
                    months |= {m for ms in months_now.values() for m in ms}
                _rewrite_partitions(con, table, lake_dir, staging, sorted(months), result)
            elif state is None or _touches(table, changed):
                _rewrite_file(con, table, lake_dir, result)
        files = {
            path: {"load_id": load_id, "months": new_months.get(path, known.get(path, {}).get("months", []))}
            for path, load_id in sorted(loaded.items())
        }
        _write_state(root, {"version": STATE_VERSION, "files": files})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


def sync_all(con: duckdb.DuckDBPyConnection, lake_dir: Path, *, full: bool = False) -> list[LakeResult]:
    return [sync_source(con, source, lake_dir, full=full) for source in SOURCES.values()]


def _touches(table: LakeTable, changed: list[str]) -> bool:
    """A change log changes with any file of its source; an entity with one of its own files."""
    if not any(e.name == table.name for e in table.source.entities):
        return bool(changed)
    entity = table.source.entity(table.name)
    return any(entity.matches(path) for path in changed)


# -- reading the raw side ----------------------------------------------------------------------


def _loaded_files(con: duckdb.DuckDBPyConnection, source: Source) -> dict[str, int]:
    """Each landing file in the raw manifest and the load that last wrote its rows."""
    try:
        rows = con.execute(f"SELECT file_path, _load_id FROM {quote(source.schema)}.manifest").fetchall()
    except duckdb.CatalogException:
        return {}
    return dict(rows)


def _month_expression(table: LakeTable) -> str:
    return f"strftime({quote(table.period_field)}, '%Y-%m')"


def _file_months(con: duckdb.DuckDBPyConnection, table: LakeTable, paths: list[str]) -> dict[str, list[str]]:
    if not paths:
        return {}
    rows = con.execute(
        f"""SELECT _source_file, list(DISTINCT {_month_expression(table)} ORDER BY {_month_expression(table)})
            FROM {quote(table.schema)}.{quote(table.name)}
            WHERE _source_file IN (SELECT unnest(?)) AND {quote(table.period_field)} IS NOT NULL
            GROUP BY _source_file""",
        [paths],
    ).fetchall()
    return {path: list(months) for path, months in rows}


def _all_months(con: duckdb.DuckDBPyConnection, table: LakeTable) -> set[str]:
    rows = con.execute(
        f"""SELECT DISTINCT {_month_expression(table)} FROM {quote(table.schema)}.{quote(table.name)}
            WHERE {quote(table.period_field)} IS NOT NULL"""
    ).fetchall()
    return {row[0] for row in rows}


def _months_on_disk(table: LakeTable, lake_dir: Path) -> set[str]:
    months = set()
    for folder in table.folder(lake_dir).glob("year=*/month=*"):
        year, month = folder.parent.name.split("=", 1)[1], folder.name.split("=", 1)[1]
        if year.isdigit() and month.isdigit():
            months.add(f"{int(year):04d}-{int(month):02d}")
    return months


def _partition(folder: Path, month: str) -> Path:
    """A month's partition under a table's folder: year=2017/month=3 (Hive's layout)."""
    year, number = month.split("-")
    return folder / f"year={int(year)}" / f"month={int(number)}"


# -- writing -------------------------------------------------------------------------------------


def _rewrite_partitions(
    con: duckdb.DuckDBPyConnection,
    table: LakeTable,
    lake_dir: Path,
    staging: Path,
    months: list[str],
    result: LakeResult,
) -> None:
    """Write the rows of these months to a staging folder in one pass, then move each month's
    file into its partition (a rename on the same file system: atomic); a month without rows
    loses its partition."""
    if not months:
        return
    target = staging / table.name
    staging.mkdir(parents=True, exist_ok=True)
    period = quote(table.period_field)
    columns = ", ".join(quote(name) for name, _ in table.columns)
    con.execute(
        f"""COPY (
                SELECT {columns}, year({period})::INTEGER AS year, month({period})::INTEGER AS month
                FROM {quote(table.schema)}.{quote(table.name)}
                WHERE {_month_expression(table)} IN (SELECT unnest(?))
            ) TO '{_sql_path(target)}' ({_PARQUET}, PARTITION_BY (year, month), FILENAME_PATTERN 'part-{{i}}')""",
        [months],
    )
    for month in months:
        written = _partition(target, month)
        partition = _partition(table.folder(lake_dir), month)
        files = sorted(written.glob("*.parquet")) if written.is_dir() else []
        label = f"{table.name}/{partition.parent.name}/{partition.name}"
        if not files:
            if partition.exists():
                shutil.rmtree(partition)
                _remove_if_empty(partition.parent)
                result.removed.append(label)
            continue
        partition.mkdir(parents=True, exist_ok=True)
        names = [DATA_FILE] if len(files) == 1 else [f"part-{i}.parquet" for i in range(len(files))]
        for file, name in zip(files, names, strict=True):
            os.replace(file, partition / name)
        for stale in partition.glob("*.parquet"):
            if stale.name not in names:
                stale.unlink()
        result.written.append(label)
    result.rows_written += _count(con, table, months)


def _count(con: duckdb.DuckDBPyConnection, table: LakeTable, months: list[str]) -> int:
    return con.execute(
        f"""SELECT count(*) FROM {quote(table.schema)}.{quote(table.name)}
            WHERE {_month_expression(table)} IN (SELECT unnest(?))""",
        [months],
    ).fetchone()[0]


def _rewrite_file(con: duckdb.DuckDBPyConnection, table: LakeTable, lake_dir: Path, result: LakeResult) -> None:
    folder = table.folder(lake_dir)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{DATA_FILE}.{uuid.uuid4().hex[:12]}.tmp"  # hidden from readers
    columns = ", ".join(quote(name) for name, _ in table.columns)
    try:
        con.execute(
            f"COPY (SELECT {columns} FROM {quote(table.schema)}.{quote(table.name)}) "
            f"TO '{_sql_path(temporary)}' ({_PARQUET})"
        )
        os.replace(temporary, folder / DATA_FILE)
    finally:
        temporary.unlink(missing_ok=True)
    result.written.append(table.name)
    result.rows_written += con.execute(f"SELECT count(*) FROM {quote(table.schema)}.{quote(table.name)}").fetchone()[0]


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _read_state(root: Path) -> dict | None:
    try:
        state = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return state if state.get("version") == STATE_VERSION else None


def _write_state(root: Path, state: dict) -> None:
    root.mkdir(parents=True, exist_ok=True)
    temporary = root / f".{STATE_FILE}.tmp"
    temporary.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, root / STATE_FILE)
