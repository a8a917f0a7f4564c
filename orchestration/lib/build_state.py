"""Is the warehouse already up to date? What lets a repeat `parkpi run` skip work.

After a successful full run the CLI records a fingerprint of what that run built from:
each source's file manifest (path + content hash of every landing file loaded), a digest of
the code and dbt project that turned them into tables, and the row count of every mart and
KPI table it left behind. A later run that finds the same fingerprint - no landing file new,
changed or gone (sizes and mtimes, as the loader judges them), the same code, the same tables
- has nothing to rebuild and nothing new to check: it runs only the ingest job, which
confirms that no file changed, and reports the figures and check results of the run that
built them. Anything else, or `parkpi run --full`, runs the whole main job.

The state lives in the warehouse (``meta.build_state``), so it moves and disappears with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import duckdb

from serving.snapshot import SNAPSHOT_FILE
from sources.loading import pending_changes
from sources.registry import SOURCES
from sources.settings import DBT_PROJECT_DIR, PROJECT_ROOT, Settings, local_now
from sources.warehouse import connect, quote

STATE_TABLE = "meta.build_state"
BUILT_SCHEMAS = ("marts", "kpi")
# Code whose change can change what a run builds or checks. Landing data is covered by the
# manifests, generated folders are not inputs.
_CODE_ROOTS = (PROJECT_ROOT / "sources", PROJECT_ROOT / "quality", PROJECT_ROOT / "orchestration", DBT_PROJECT_DIR)
_CODE_FILES = (PROJECT_ROOT / "pyproject.toml", PROJECT_ROOT / "uv.lock")
_NOT_CODE = {"sample", "target", "logs", "dbt_packages", "__pycache__", ".user.yml"}


@dataclass(frozen=True)
class Plan:
    up_to_date: bool
    reason: str
    last_run_id: str | None = None
    last_finished_at: dt.datetime | None = None


def code_digest() -> str:
    digest = hashlib.sha256()
    paths = [p for root in _CODE_ROOTS for p in root.rglob("*") if p.is_file()]
    for path in sorted({*paths, *(p for p in _CODE_FILES if p.exists())}):
        relative = path.relative_to(PROJECT_ROOT)
        if _NOT_CODE.intersection(relative.parts) or path.suffix == ".pyc":
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _manifest_digest(con: duckdb.DuckDBPyConnection, schema: str) -> str | None:
    try:
        rows = con.execute(f"SELECT file_path, sha256 FROM {quote(schema)}.manifest ORDER BY file_path").fetchall()
    except duckdb.CatalogException:
        return None
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _built_tables(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute(
        f"""SELECT schema_name, table_name FROM duckdb_tables()
            WHERE database_name = current_database() AND schema_name IN ({", ".join("?" for _ in BUILT_SCHEMAS)})
            ORDER BY ALL""",
        list(BUILT_SCHEMAS),
    ).fetchall()
    return {
        f"{schema}.{table}": con.execute(f"SELECT count(*) FROM {quote(schema)}.{quote(table)}").fetchone()[0]
        for schema, table in tables
    }


def fingerprint(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict:
    return {
        "landing_dir": str(settings.landing_dir),
        # the engine that built the tables, and the lake it kept (None when none is written)
        "engine": settings.engine,
        "lake": str(settings.lake) if settings.writes_lake else None,
        "manifests": {token: _manifest_digest(con, source.schema) for token, source in SOURCES.items()},
        "code": code_digest(),
        "tables": _built_tables(con),
    }


def record(settings: Settings, run_id: str) -> None:
    """Called after a successful full run: what it built from and what it left."""
    with connect(settings.warehouse, memory_limit=settings.memory_limit) as con:
        state = json.dumps(fingerprint(con, settings), sort_keys=True)
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (run_id VARCHAR, finished_at TIMESTAMP, fingerprint VARCHAR)"
        )
        con.execute("BEGIN")
        con.execute(f"DELETE FROM {STATE_TABLE}")
        con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?)", [run_id, local_now(), state])
        con.execute("COMMIT")


def forget(settings: Settings) -> None:
    """Before a full run and after a failed one: until a full run succeeds, the next run must
    do everything again (a run killed half-way never gets to say so itself)."""
    if not settings.warehouse.exists():
        return
    with connect(settings.warehouse, memory_limit=settings.memory_limit) as con:
        con.execute(f"DROP TABLE IF EXISTS {STATE_TABLE}")


def plan(settings: Settings) -> Plan:
    """Decide, without reading any landing file, whether a full run has anything to do."""
    if not settings.warehouse.exists():
        return Plan(False, "first run: no warehouse yet")
    with connect(settings.warehouse, read_only=True) as con:
        try:
            row = con.execute(f"SELECT run_id, finished_at, fingerprint FROM {STATE_TABLE}").fetchone()
        except duckdb.CatalogException:
            row = None
        if row is None:
            return Plan(False, "no successful full run recorded in this warehouse")
        run_id, finished_at, recorded = row[0], row[1], json.loads(row[2])
        for source in SOURCES.values():
            pending = pending_changes(con, source, settings.landing_dir)
            if pending:
                more = f" and {len(pending) - 1} more" if len(pending) > 1 else ""
                return Plan(False, f"{source.token}: {pending[0]}{more} new, changed or removed", run_id, finished_at)
        current = fingerprint(con, settings)
    if not (settings.publish_dir / SNAPSHOT_FILE).exists():
        return Plan(False, f"no published snapshot in {settings.publish_dir}", run_id, finished_at)
    for part, why in (
        ("landing_dir", "a different landing folder"),
        ("engine", "another engine (PARKPI_ENGINE) than the last full run's"),
        ("lake", "the Parquet lake is asked for elsewhere, or no longer (PARKPI_LAKE_DIR)"),
        ("manifests", "raw data changed since the last full run"),
        ("code", "the code or dbt project changed since the last full run"),
        ("tables", "the built tables differ from what the last full run left"),
    ):
        if current[part] != recorded.get(part):
            return Plan(False, why, run_id, finished_at)
    return Plan(True, "nothing changed since the last full run", run_id, finished_at)


def describe_last(plan_: Plan) -> str:
    when = f" at {plan_.last_finished_at:%Y-%m-%d %H:%M:%S}" if plan_.last_finished_at else ""
    return f"run {plan_.last_run_id}{when}" if plan_.last_run_id else "no earlier run"
