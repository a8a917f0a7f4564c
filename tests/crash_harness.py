"""Kill `parkpi run` with SIGKILL at chosen points and check what it leaves behind.

Used by tests/test_crash_safety.py (a few points, in `make test`) and bench/crash.py (as many
points as you like). A kill point is a stage of the run, recognised by the compact console line
that starts it ("portal_ingest  started"), plus a delay after that line; the whole process
group (the CLI and the dbt it started) gets SIGKILL, so nothing can clean up after itself.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sources.settings import PROJECT_ROOT
from sources.warehouse import connect, quote
from tests.builds import parkpi_env

# the steps of the main job, in the order they run, and what they do
STAGES = {
    "portal_ingest": "loading the portal events",
    "parkpi_dbt_models": "the dbt build",
    "quality_kpi_kpi_yearly": "checking the KPI table",
}


@dataclass(frozen=True)
class KillPoint:
    stage: str  # step name whose "started" line starts the countdown
    delay: float  # seconds after that line

    def __str__(self) -> str:
        return f"{self.stage} + {self.delay:.2f} s"


@dataclass
class KillOutcome:
    point: KillPoint
    killed: bool  # False when the run finished before the point was reached
    returncode: int | None
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)


def run_until_killed(env_root: Path, landing: Path, point: KillPoint, *args: str, timeout: float = 600) -> KillOutcome:
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", *args],
        cwd=PROJECT_ROOT,
        env=parkpi_env(env_root, landing),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the kill reaches dbt too
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    outcome = KillOutcome(point, killed=False, returncode=None)
    deadline = time.monotonic() + timeout
    kill_at: float | None = None
    while True:
        now = time.monotonic()
        if kill_at is not None and now >= kill_at:
            os.killpg(process.pid, signal.SIGKILL)
            outcome.killed = True
            break
        if now >= deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise TimeoutError(f"parkpi run did not reach {point} within {timeout} s:\n" + "".join(outcome.lines))
        try:
            line = lines.get(timeout=min(deadline, kill_at or deadline) - now)
        except queue.Empty:
            continue
        if line is None:
            break
        outcome.lines.append(line)
        if kill_at is None and point.stage in line and "started" in line:
            kill_at = time.monotonic() + point.delay
    outcome.returncode = process.wait(timeout=60)
    try:  # anything of the group still alive (a dbt child of a finished run) goes too
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return outcome


def check_private_warehouse(path: Path) -> int:
    """The private warehouse opens for writing (DuckDB replays or discards its WAL), every
    table reads whole, and it checkpoints. Returns the number of tables read."""
    with connect(path) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
        for schema, table in tables:
            con.execute(f"SELECT count(*) FROM {quote(schema)}.{quote(table)}").fetchone()
        con.execute("CHECKPOINT")
    return len(tables)


def kpi_yearly(path: Path) -> list[tuple]:
    with connect(path, read_only=True) as con:
        return con.execute("SELECT * FROM kpi.kpi_yearly ORDER BY ALL").fetchall()
