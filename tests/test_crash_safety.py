"""Crash safety (issue 7): `parkpi run` killed with SIGKILL at random points during ingestion,
the dbt build and publishing leaves a private warehouse that opens cleanly and a published
snapshot that is a complete earlier or later version, and the next run converges to exactly
the `kpi_yearly` of an uninterrupted run. On a month of the sample (the session's small
build): the point is where the kills land, not the amount of data. bench/crash.py tries as
many points as you like, on the whole sample."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from serving.snapshot import SNAPSHOT_FILE, verify_snapshot
from tests.builds import Build, run_parkpi
from tests.crash_harness import KillPoint, check_private_warehouse, kpi_yearly, run_until_killed

SEED = 20261128


@pytest.fixture
def reference(tiny_build: Build) -> list[tuple]:
    """kpi_yearly of an uninterrupted run on the same landing files (the session's build)."""
    return kpi_yearly(tiny_build.warehouse)


def test_killed_runs_leave_consistent_state_and_the_next_run_converges(
    reference, tiny_build: Build, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    landing = tmp_path / "landing"
    shutil.copytree(tiny_build.landing, landing)
    warehouse = tmp_path / "warehouse" / "parkpi.duckdb"
    snapshot = tmp_path / "warehouse" / "published" / SNAPSHOT_FILE
    points = [
        KillPoint("portal_ingest", rng.uniform(0.05, 0.5)),  # the first load, inside its transaction
        KillPoint("parkpi_dbt_models", rng.uniform(4.0, 9.0)),  # dbt writing the marts
        KillPoint("publish__kpi_snapshot", rng.uniform(0.0, 0.2)),  # writing and swapping the snapshot
    ]
    snapshots_seen = []
    killed = 0
    for point in points:
        outcome = run_until_killed(tmp_path, landing, point)
        killed += outcome.killed
        assert outcome.killed, f"the run ended before {point}:\n{outcome.output}"
        assert check_private_warehouse(warehouse) > 0
        if snapshot.exists():  # never a half-written file under the published name
            snapshots_seen.append(verify_snapshot(snapshot))
    print(f"kill points tried: {len(points)}, killed: {killed}: " + "; ".join(map(str, points)))

    recovery = run_parkpi(tmp_path, landing)
    assert recovery.returncode == 0, recovery.stdout + recovery.stderr
    assert "full run" in recovery.stdout  # a killed run never leaves the warehouse looking up to date
    assert kpi_yearly(warehouse) == reference
    latest = verify_snapshot(snapshot)
    assert latest not in snapshots_seen
    import duckdb

    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("SELECT * FROM kpi_yearly ORDER BY ALL").fetchall() == reference
