"""Check results kept in the warehouse (schema ``dq``), and the `make run` summary of them.

``dq.check_results`` has one row per check per run, so quality can be charted over time;
``dq.latest_check_results`` is the last row of every (asset, check). Layout and examples:
docs/quality.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from quality.docs import DataDocs
from quality.runner import CheckOutcome, json_text
from sources.settings import Settings
from sources.warehouse import connect

SCHEMA = "dq"
RESULTS_TABLE = f"{SCHEMA}.check_results"
LATEST_VIEW = f"{SCHEMA}.latest_check_results"

_COLUMNS = (
    "run_id",
    "asset",
    "check_name",
    "severity",
    "success",
    "evaluated_count",
    "unexpected_count",
    "unexpected_fraction",
    "threshold",
    "summary",
    "sample",
    "expectations",
    "gx_suite",
    "data_docs",
    "checked_at",
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} (
            run_id VARCHAR NOT NULL,              -- Dagster run id ('' outside Dagster)
            asset VARCHAR NOT NULL,               -- Dagster asset key, e.g. portal/raw_events
            check_name VARCHAR NOT NULL,          -- e.g. required_values_present
            severity VARCHAR NOT NULL,            -- blocking | warn
            success BOOLEAN NOT NULL,
            evaluated_count BIGINT NOT NULL,      -- rows looked at
            unexpected_count BIGINT NOT NULL,     -- failing values (summed over expectations)
            unexpected_fraction DOUBLE,           -- unexpected / evaluated
            threshold DOUBLE,                     -- smallest passing share, for share checks
            summary VARCHAR NOT NULL,             -- one line, as logged
            sample VARCHAR NOT NULL,              -- JSON: up to 10 failing rows
            expectations VARCHAR NOT NULL,        -- JSON: per expectation counts and samples
            gx_suite VARCHAR NOT NULL,            -- Great Expectations suite name
            data_docs VARCHAR,                    -- URL of the validation page
            checked_at TIMESTAMP NOT NULL,        -- local time of the validation
            PRIMARY KEY (run_id, asset, check_name)
        )"""
    )
    con.execute(
        f"""CREATE VIEW IF NOT EXISTS {LATEST_VIEW} AS
            SELECT * FROM {RESULTS_TABLE}
            QUALIFY row_number() OVER (PARTITION BY asset, check_name ORDER BY checked_at DESC, run_id DESC) = 1"""
    )


def record(con: duckdb.DuckDBPyConnection, run_id: str, outcomes: Sequence[CheckOutcome]) -> None:
    """Store ``outcomes`` as this run's rows (a retried step replaces its own rows)."""
    record_rows(
        con,
        [
            (
                run_id,
                o.suite.asset_path,
                o.check.name,
                o.check.severity,
                o.success,
                o.evaluated_count,
                o.unexpected_count,
                o.unexpected_fraction,
                o.check.threshold,
                o.summary(),
                json_text(o.sample),
                json_text([e.as_dict() for e in o.expectations]),
                o.gx_suite,
                o.data_docs,
                o.checked_at,
            )
            for o in outcomes
        ],
    )


def record_rows(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple]) -> None:
    """Store rows of ``dq.check_results`` (in the order of ``_COLUMNS``), replacing a retried
    step's own rows (same run, asset and check)."""
    if not rows:
        return
    ensure_schema(con)
    con.execute("BEGIN TRANSACTION")
    try:
        con.executemany(
            f"DELETE FROM {RESULTS_TABLE} WHERE run_id = ? AND asset = ? AND check_name = ?",
            [row[:3] for row in rows],
        )
        placeholders = ", ".join("?" for _ in _COLUMNS)
        con.executemany(f"INSERT INTO {RESULTS_TABLE} ({', '.join(_COLUMNS)}) VALUES ({placeholders})", list(rows))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def summary_lines(settings: Settings, run_id: str | None = None) -> list[str]:
    """What `make run` prints about data quality: counts by outcome for the run (by default the
    latest recorded), each failed check with its reason, and where the Data Docs are.

    Empty when no check has run yet (a warehouse built before the checks existed)."""
    return _summary_lines(settings.warehouse, run_id)


def _summary_lines(warehouse: Path, run_id: str | None) -> list[str]:
    if not Path(warehouse).exists():
        return []
    with connect(warehouse, read_only=True) as con:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'check_results'",
            [SCHEMA],
        ).fetchone()[0]
        if not exists:
            return []
        if run_id is None:
            latest = con.execute(f"SELECT run_id FROM {RESULTS_TABLE} ORDER BY checked_at DESC LIMIT 1").fetchone()
            if latest is None:
                return []
            run_id = latest[0]
        rows = con.execute(
            f"""SELECT asset, check_name, severity, success, summary FROM {RESULTS_TABLE}
                WHERE run_id = ? ORDER BY severity, asset, check_name""",
            [run_id],
        ).fetchall()
    if not rows:
        return []
    failed_blocking = [r for r in rows if not r[3] and r[2] == "blocking"]
    warnings = [r for r in rows if not r[3] and r[2] == "warn"]
    lines = [
        f"Data quality: {len(rows)} checks, {len(rows) - len(failed_blocking) - len(warnings)} passed, "
        f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}, "
        f"{len(failed_blocking)} blocking failure{'s' if len(failed_blocking) != 1 else ''} "
        f"(history in {RESULTS_TABLE})"
    ]
    for asset, check_name, severity, _, summary in failed_blocking + warnings:
        label = "BLOCKING" if severity == "blocking" else "warning"
        lines.append(f"  {label:<8} {asset}:{check_name} — {summary}")
    docs = DataDocs.for_warehouse(warehouse)
    if docs.index.exists():
        lines.append(f"Data Docs: {docs.index_url}")
    return lines
