"""The published snapshot: what BI tools, notebooks and the leadership report read.

BI tools never open the private warehouse that Dagster and dbt write (a reader there locks out
the writer). After a successful build the publish step copies the KPI marts, the dimensions and
the dossier facts into ``$PARKPI_PUBLISH_DIR``:

- ``kpi.duckdb``: the tables in schema ``main`` (``kpi_yearly`` is just ``kpi_yearly``), written
  in DuckDB's v1.4.0 storage format so the 1.x engines inside the Metabase, Power BI (ODBC) and
  Superset drivers can open it, plus ``_snapshot`` (one row per table: rows, published_at,
  snapshot_id) for readers that want to verify what they read;
- ``parquet/<table>.parquet``: the same tables, for tools that read files.

Swaps are atomic. The DuckDB file is written under a temporary name in the same folder,
checkpointed, closed, fsynced and renamed over ``kpi.duckdb`` (``os.replace``): a reader that
has the old file open keeps reading the old inode, a new reader gets the new file, nobody sees
a half-written one. The Parquet tables are a set, so each publish writes a new folder under
``.versions/`` and then renames a symlink ``parquet`` onto it; the previous version is kept
(a reader may still be in it) and older ones are removed. Published files are read-only
(0444): readers can't change what others read.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.settings import local_now
from sources.warehouse import quote

SNAPSHOT_FILE = "kpi.duckdb"
PARQUET_LINK = "parquet"
VERSIONS_DIR = ".versions"
STORAGE_VERSION = "v1.4.0"  # the oldest DuckDB that can open the file: 1.4 (see module doc)
META_TABLE = "_snapshot"

# (schema in the private warehouse, table) -> published as main.<table>
PUBLISHED_TABLES: tuple[tuple[str, str], ...] = (
    ("kpi", "kpi_yearly"),
    ("kpi", "kpi_yearly_wide"),
    ("kpi", "kpi_periodic"),
    ("kpi", "kpi_periodic_wide"),
    ("kpi", "kpi_targets"),
    # drill-through: what each figure is made of, down to the landing files (parkpi explain)
    ("kpi", "kpi_components"),
    ("kpi", "kpi_contributions"),
    ("kpi", "kpi_dossier_flags"),
    ("kpi", "kpi_dossier_sources"),
    ("kpi", "kpi_dossier_lineage"),
    ("kpi", "kpi_mailbox_period_positions"),
    ("kpi", "kpi_catalog_period_procedures"),
    ("marts", "dim_indicators"),
    ("marts", "dim_agencies"),
    ("marts", "dim_procedures"),
    ("marts", "dim_dates"),
    ("marts", "fct_dossiers"),
    ("marts", "fct_postal_shipments"),
    ("marts", "fct_mailbox_positions"),
)
# columns of the published tables that stay in the private warehouse: the dossier key, which
# incremental builds find a dossier's rows by (dbt_project/macros/dossier_key.sql) and which
# tells a reader nothing the dossier code does not (4 bytes a row of kpi_dossier_sources)
PRIVATE_COLUMNS = ("_dossier_key",)


@dataclass
class PublishResult:
    snapshot_id: str
    snapshot: Path
    parquet_dir: Path
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def publish_snapshot(con: duckdb.DuckDBPyConnection, publish_dir: Path, *, run_id: str = "") -> PublishResult:
    """Copy the published tables from the warehouse ``con`` is connected to into publish_dir."""
    started = time.perf_counter()
    publish_dir.mkdir(parents=True, exist_ok=True)
    snapshot_id = local_now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    target = publish_dir / SNAPSHOT_FILE
    temporary = publish_dir / f".{SNAPSHOT_FILE}.{snapshot_id}.tmp"
    versions = publish_dir / VERSIONS_DIR
    parquet_version = versions / f"parquet-{snapshot_id}"
    result = PublishResult(snapshot_id, target, publish_dir / PARQUET_LINK)
    alias = "publish_" + snapshot_id.replace("-", "_").lower()
    attached = False
    previous: Path | None = None
    try:
        con.execute(f"ATTACH ? AS {alias} (STORAGE_VERSION '{STORAGE_VERSION}')", [str(temporary)])
        attached = True
        for schema, table in PUBLISHED_TABLES:
            source = f"{quote(schema)}.{quote(table)}"
            private = [name for (name, *_) in con.execute(f"DESCRIBE {source}").fetchall() if name in PRIVATE_COLUMNS]
            exclude = f" EXCLUDE ({', '.join(quote(name) for name in private)})" if private else ""
            con.execute(f"CREATE TABLE {alias}.main.{quote(table)} AS SELECT *{exclude} FROM {source}")
            result.rows[table] = con.execute(f"SELECT count(*) FROM {alias}.main.{quote(table)}").fetchone()[0]
        con.execute(
            f"""CREATE TABLE {alias}.main.{META_TABLE} (snapshot_id VARCHAR, published_at TIMESTAMP,
                    run_id VARCHAR, table_name VARCHAR, row_count BIGINT)"""
        )
        published_at = local_now()
        con.executemany(
            f"INSERT INTO {alias}.main.{META_TABLE} VALUES (?, ?, ?, ?, ?)",
            [[snapshot_id, published_at, run_id, table, rows] for table, rows in result.rows.items()],
        )
        # Parquet from the snapshot's own tables: the two exports hold exactly the same rows
        parquet_version.mkdir(parents=True)
        for table in [*result.rows, META_TABLE]:
            con.execute(
                f"COPY (SELECT * FROM {alias}.main.{quote(table)}) TO ? (FORMAT parquet, COMPRESSION zstd)",
                [str(parquet_version / f"{table}.parquet")],
            )
        con.execute(f"CHECKPOINT {alias}")
        con.execute(f"DETACH {alias}")
        attached = False
        _fsync(temporary)
        for path in parquet_version.iterdir():
            _fsync(path)
            path.chmod(0o444)

        temporary.chmod(0o444)
        # the set readers may still be in; kept by _prune (read before the swap)
        previous = _link_target(publish_dir / PARQUET_LINK)
        os.replace(temporary, target)  # the swap: readers see the old file or the new one
        link = publish_dir / f".{PARQUET_LINK}.{snapshot_id}.tmp"
        link.symlink_to(Path(VERSIONS_DIR) / parquet_version.name)
        _replace_link(link, publish_dir / PARQUET_LINK)
        _fsync(publish_dir)
    finally:
        if attached:
            con.execute(f"DETACH {alias}")
        for leftover in (
            temporary,
            publish_dir / f".{SNAPSHOT_FILE}.{snapshot_id}.tmp.wal",
            publish_dir / f".{PARQUET_LINK}.{snapshot_id}.tmp",
        ):
            leftover.unlink(missing_ok=True)
        if not (publish_dir / PARQUET_LINK).resolve() == parquet_version.resolve() and parquet_version.exists():
            shutil.rmtree(parquet_version, ignore_errors=True)  # a failed publish leaves nothing
    _prune(publish_dir, keep=previous)
    result.seconds = time.perf_counter() - started
    return result


def _replace_link(link: Path, target: Path) -> None:
    if target.exists() and not target.is_symlink():
        # a real folder from an older layout or a hand copy: move it aside once
        target.rename(target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}"))
    os.replace(link, target)


def _link_target(link: Path) -> Path | None:
    return link.resolve() if link.is_symlink() else None


def _prune(publish_dir: Path, keep: Path | None = None) -> None:
    """Remove every Parquet set but the current one and ``keep`` (the one the link pointed to
    before this publish, which a reader may still be in). Chosen by the link, not by age: a
    publish killed half-way leaves a set that was never visible, and it must neither count as
    "the previous set" nor outlive the next publish."""
    versions = publish_dir / VERSIONS_DIR
    current = _link_target(publish_dir / PARQUET_LINK)
    if versions.is_dir() and current is not None:
        wanted = {current, keep.resolve() if keep is not None else None}
        for stale in versions.iterdir():
            if stale.resolve() not in wanted:
                shutil.rmtree(stale, ignore_errors=True)
    for pattern in (f".{SNAPSHOT_FILE}.*.tmp*", f".{PARQUET_LINK}.*.tmp"):
        for leftover in publish_dir.glob(pattern):
            # a publish killed half-way leaves a temporary file or link; never visible to readers
            if time.time() - leftover.lstat().st_mtime > 60:
                leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_snapshot_meta(snapshot: Path) -> dict[str, int]:
    """Row counts the snapshot says it holds (raises if the file is not a complete snapshot)."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return dict(con.execute(f"SELECT table_name, row_count FROM main.{META_TABLE}").fetchall())


def verify_snapshot(snapshot: Path) -> str:
    """Open the snapshot read-only and check that every table holds the rows its metadata
    says. Returns the snapshot id; raises AssertionError on an incomplete snapshot."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        meta = con.execute(f"SELECT snapshot_id, table_name, row_count FROM main.{META_TABLE}").fetchall()
        assert {table for _, table, _ in meta} == {table for _, table in PUBLISHED_TABLES}, meta
        for _, table, rows in meta:
            actual = con.execute(f"SELECT count(*) FROM main.{quote(table)}").fetchone()[0]
            assert actual == rows, f"{table}: {actual} rows, snapshot says {rows}"
        ids = {snapshot_id for snapshot_id, _, _ in meta}
    assert len(ids) == 1, ids
    return ids.pop()
