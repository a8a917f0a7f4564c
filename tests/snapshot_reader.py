"""BI tools in miniature, for tests/test_publish.py. Prints one JSON line per look (with its
time) until the stop file appears.

    python -m tests.snapshot_reader hold PUBLISH_DIR STOP_FILE
        opens the published snapshot read-only once and keeps querying that connection, as a
        dashboard left open does: it must keep seeing the same complete snapshot.
    python -m tests.snapshot_reader poll PUBLISH_DIR STOP_FILE
        opens the snapshot afresh for every look, as a new query does, and verifies it is
        complete (serving.snapshot.verify_snapshot).

They are separate processes because DuckDB shares one database instance between the
connections of a process that open the same path: a fresh connect() next to a held one would
not re-open the file.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from serving.snapshot import META_TABLE, SNAPSHOT_FILE, verify_snapshot

# Seconds between looks. A `poll` look opens the snapshot and counts every table (~20-40 ms of
# CPU on the small build): every 0.05 s it took almost half a core from the runs under test. A
# snapshot stays current for the whole of a run (tens of seconds), so every 0.5 s still sees
# each one dozens of times.
HOLD_INTERVAL_S = 0.05
POLL_INTERVAL_S = 0.5


def hold(snapshot: Path, stop: Path) -> None:
    held = duckdb.connect(str(snapshot), read_only=True)
    query = f"SELECT any_value(snapshot_id), (SELECT sum(value) FROM main.kpi_yearly) FROM main.{META_TABLE}"
    first = held.execute(query).fetchone()
    print(json.dumps({"kind": "ready", "snapshot_id": first[0]}), flush=True)
    while not stop.exists():
        look: dict = {"kind": "look", "t": time.time()}
        try:
            look["consistent"] = held.execute(query).fetchone() == first
        except Exception as error:  # reported, not raised: the test counts them
            look["error"] = f"{type(error).__name__}: {error}"
        print(json.dumps(look), flush=True)
        time.sleep(HOLD_INTERVAL_S)
    held.close()


def poll(snapshot: Path, stop: Path) -> None:
    print(json.dumps({"kind": "ready"}), flush=True)
    while not stop.exists():
        look: dict = {"kind": "look", "t": time.time()}
        try:
            look["snapshot_id"] = verify_snapshot(snapshot)
        except Exception as error:
            look["error"] = f"{type(error).__name__}: {error}"
        print(json.dumps(look), flush=True)
        time.sleep(POLL_INTERVAL_S)


if __name__ == "__main__":
    mode, publish_dir, stop_file = sys.argv[1:4]
    {"hold": hold, "poll": poll}[mode](Path(publish_dir) / SNAPSHOT_FILE, Path(stop_file))
