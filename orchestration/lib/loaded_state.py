"""What the warehouse has loaded, readable without opening the warehouse.

DuckDB lets one process write a database file, and a reader locks out the writer. The
landing-folder sensor ticks every minute while runs may hold the warehouse for minutes, so it
must not open it, not even read-only. After every load the ingest asset therefore copies the
source's file manifest (``raw_<source>.manifest``: path, size, mtime, sha256, first and last
month) and its latest load id into ``<warehouse>.manifest/<source>.json``, written to a
temporary file and renamed (a reader sees the old or the new copy, never half of one).

The copy is written after the load has committed, so it can only lag behind the warehouse
(a crash in between): the sensor then asks for a run the loader finds nothing to do in. It
never claims a file is loaded that is not.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from sources.contract import Source
from sources.warehouse import quote


def state_dir(warehouse: Path | str) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".manifest")


def export(con: duckdb.DuckDBPyConnection, source: Source, warehouse: Path | str) -> Path:
    """Copy the source's manifest (after a load, on the writer's connection) next to the warehouse."""
    schema = quote(source.schema)
    rows = con.execute(
        f"SELECT file_path, size_bytes, mtime_ns, sha256, first_period, last_period FROM {schema}.manifest"
    ).fetchall()
    last_load = con.execute(f"SELECT coalesce(max(_load_id), 0) FROM {schema}.loads").fetchone()[0]
    state = {
        "source": source.token,
        # a warehouse deleted or replaced since (another file) has loaded nothing of this
        "warehouse_inode": Path(warehouse).stat().st_ino,
        "last_load_id": last_load,
        "files": {path: [size, mtime, sha, first, last] for path, size, mtime, sha, first, last in sorted(rows)},
    }
    directory = state_dir(warehouse)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{source.token}.json"
    temporary = directory / f".{source.token}.json.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(state, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(temporary, target)
    return target


def read(warehouse: Path | str, source: Source) -> dict:
    """The last exported state of a source: ``{"last_load_id": int, "files": {path: [size,
    mtime_ns, sha256, first_month, last_month]}}``; empty (nothing loaded) if there is none."""
    path = state_dir(warehouse) / f"{source.token}.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        inode = Path(warehouse).stat().st_ino
    except FileNotFoundError:
        return {"last_load_id": 0, "files": {}}  # nothing loaded yet, or no warehouse any more
    except (OSError, ValueError):
        # unreadable: behave as if nothing were loaded (a run then finds out what is)
        return {"last_load_id": -1, "files": {}}
    if state.get("warehouse_inode") != inode:
        return {"last_load_id": 0, "files": {}}
    return state
