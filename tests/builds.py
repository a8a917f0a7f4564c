"""Warehouses built by the real `parkpi run`, for the tests: the environment of a run in a
folder of its own, and a build of a landing folder that tests share (read-only) or copy (to
change it). `tests/conftest.py` builds the bundled sample once per session.

Layout of a build's root: ``landing/``, ``warehouse/parkpi.duckdb``, ``warehouse/published/``,
``dagster_home/``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sources.settings import PROJECT_ROOT, SAMPLE_LANDING_DIR
from sources.warehouse import connect


def parkpi_env(env_root: Path, landing: Path) -> dict[str, str]:
    """The environment of a `parkpi` command whose warehouse, publish folder and Dagster
    home live under env_root."""
    env = dict(os.environ)
    env.update(
        PARKPI_LANDING_DIR=str(landing),
        PARKPI_WAREHOUSE=str(env_root / "warehouse" / "parkpi.duckdb"),
        PARKPI_PUBLISH_DIR=str(env_root / "warehouse" / "published"),
        DAGSTER_HOME=str(env_root / "dagster_home"),
        PYTHONUNBUFFERED="1",
    )
    return env


def parkpi(env_root: Path, landing: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Any `parkpi` command (as the installed script runs it) in env_root's environment."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=PROJECT_ROOT,
        env=parkpi_env(env_root, landing),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_parkpi(env_root: Path, landing: Path, *args: str) -> subprocess.CompletedProcess:
    return parkpi(env_root, landing, "run", *args)


@dataclass(frozen=True)
class Build:
    """A landing folder and what `parkpi run` built from it."""

    root: Path
    run: subprocess.CompletedProcess

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "parkpi.duckdb"

    @property
    def publish_dir(self) -> Path:
        return self.root / "warehouse" / "published"

    def env(self) -> dict[str, str]:
        return parkpi_env(self.root, self.landing)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with connect(self.warehouse, read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def parkpi(self, *args: str) -> subprocess.CompletedProcess:
        return parkpi(self.root, self.landing, *args)

    def copy(self, root: Path) -> Build:
        """The whole build (landing files with their times, warehouse, snapshot, run history)
        under another root, for a test that changes it. The landing folder's path differs, so
        the copy's next run is a full one (build_state records the folder)."""
        shutil.copytree(self.root, root, symlinks=True, dirs_exist_ok=True)
        return Build(root, self.run)

    def twin(self, root: Path) -> Build:
        """A copy of the warehouse, snapshot and run history under another root that reads this
        build's landing folder (read-only) in place, so that its next run finds nothing changed,
        as a repeat run on the build itself would, without writing to the shared build."""
        for name in ("warehouse", "dagster_home"):
            if (self.root / name).exists():
                shutil.copytree(self.root / name, root / name, symlinks=True)
        return Twin(root, self.run, self.landing)


@dataclass(frozen=True)
class Twin(Build):
    """A build whose landing folder lives elsewhere (Build.twin)."""

    landing_dir: Path

    @property
    def landing(self) -> Path:
        return self.landing_dir


# A small landing folder cut from the sample (the catalogue and one month of each source): for
# tests whose point is not the data (locks, swaps, failures), so that their runs are quick.
TINY_FILES = (
    "catalog",
    "portal/2020/12/export_01.jsonl.gz",
    "postal/2020/Q4/bccp_2020_12.csv",
    "mailbox/2020/11/bao_cao_2020_11.csv",
    "landing.toml",
)


def tiny_landing(root: Path) -> Path:
    """A copy of TINY_FILES of the sample under ``root/landing``."""
    landing = root / "landing"
    for name in TINY_FILES:
        source, target = SAMPLE_LANDING_DIR / name, landing / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    return landing


def _make_sample(root: Path) -> subprocess.CompletedProcess:
    shutil.copytree(SAMPLE_LANDING_DIR, root / "landing")
    return run_parkpi(root, root / "landing")


def _make_tiny(root: Path) -> subprocess.CompletedProcess:
    tiny_landing(root)
    return run_parkpi(root, root / "landing")


# another seed and scale than the sample's; its 2019-2020 files only (the sample has every
# year; two years of another seed keep the load short, and cut dossiers off at the start)
UNSEEN_SEED, UNSEEN_SCALE, UNSEEN_FROM_YEAR = 4711, 0.2, 2019


def _make_unseen(root: Path) -> subprocess.CompletedProcess:
    from tests.oracle.build import build_in_own_process

    options = ("--generate", str(UNSEEN_SEED), str(UNSEEN_SCALE), str(UNSEEN_FROM_YEAR), "--edge-cases")
    return build_in_own_process(root / "landing", root, *options)


# The model schemas dbt builds: deleted from the copy the Spark build starts from.
MODEL_SCHEMAS = ("staging", "intermediate", "marts", "kpi")


def _make_spark(root: Path) -> subprocess.CompletedProcess:
    """`parkpi run --engine spark` over a copy of the sample build (waited for): the same landing
    files (unchanged, so ingest loads nothing again), then the lake, dbt on Spark, the copy back,
    checks, snapshot and report. Nothing DuckDB built survives into it: the model schemas and the
    snapshot are deleted first. Two cores and a modest driver, what the reference machine gives a
    test; dbt's data tests stay on the DuckDB build of the same data (on Spark they would double
    the nodes, each a Spark job; bench/spark.py runs them there)."""
    from orchestration.lib import spark

    missing = spark.missing_prerequisite()
    if missing:
        return subprocess.CompletedProcess(["parkpi", "run", "--engine", "spark"], 1, "", missing)
    copy = shared(root.parent, "sample_build").copy(root)
    with connect(copy.warehouse) as con:
        for schema in MODEL_SCHEMAS:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    shutil.rmtree(copy.publish_dir)
    env = dict(copy.env(), PARKPI_SPARK_MASTER="local[2]", PARKPI_SPARK_DRIVER_MEMORY="1g", PARKPI_SPARK_DATA_TESTS="0")
    command = [sys.executable, "-m", "orchestration.cli", "run", "--engine", "spark"]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=3500)


# The builds the session shares (conftest.py's sample_build, tiny_build, unseen_build;
# test_spark.py's spark_build): name -> maker.
SHARED_BUILDS: dict[str, Callable[[Path], subprocess.CompletedProcess]] = {
    "sample_build": _make_sample,
    "tiny_build": _make_tiny,
    "unseen_build": _make_unseen,
    "spark_build": _make_spark,
}


def make_shared(base: Path, name: str) -> None:
    """Make the shared build ``name`` under ``base/name`` and record its run in
    ``base/name.run.json`` (written last, atomically: its presence means done)."""
    try:
        run = SHARED_BUILDS[name](base / name)
        record = {"args": run.args, "returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr}
    except Exception:  # noqa: BLE001 - recorded for the test that waits for it, not lost in a log
        record = {"args": [name], "returncode": 1, "stdout": "", "stderr": traceback.format_exc()}
    partial = base / f".{name}.run.json.partial"
    partial.write_text(json.dumps(record), encoding="utf-8")
    os.replace(partial, base / f"{name}.run.json")


# Started in the background at the session's start; the Spark build is not: measured, running
# its JVM beside the heaviest tests slowed the whole suite (631 and 773 s against 595 s with
# its test file first on a worker of its own).
BACKGROUND_BUILDS = ("sample_build", "tiny_build", "unseen_build")


def start_shared(base: Path) -> None:
    """Start the BACKGROUND_BUILDS at the start of a session (conftest.py does when it runs the
    whole suite), so that the workers run other tests meanwhile instead of waiting for the first
    one that needs a build to make it."""
    for name in BACKGROUND_BUILDS:
        with (base / f"{name}.log").open("w") as log:
            subprocess.Popen([sys.executable, "-m", "tests.builds", str(base), name], cwd=PROJECT_ROOT,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        (base / f"{name}.started").touch()


def shared(base: Path, name: str, *, timeout: float = 1200) -> Build:
    """A build made once for every pytest-xdist worker of the session: started in the
    background at the session's start (start_shared), or else made by the first worker to ask
    (holding a lock) while the others wait. ``base`` is the folder the session's workers share
    (conftest.py's shared_base). Read-only for the tests."""
    marker = base / f"{name}.run.json"
    if (base / f"{name}.started").exists():
        deadline = time.monotonic() + timeout
        while not marker.exists():
            assert time.monotonic() < deadline, f"the shared build {name} did not finish; see {base / name}.log"
            time.sleep(0.2)
    else:
        with (base / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not marker.exists():
                make_shared(base, name)
    recorded = json.loads(marker.read_text(encoding="utf-8"))
    run = subprocess.CompletedProcess(recorded["args"], recorded["returncode"], recorded["stdout"], recorded["stderr"])
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    return Build(base / name, run)


def build(root: Path, landing: Path, *args: str) -> Build:
    """`parkpi run` on a copy of ``landing`` under root, as `make run` does; the run must succeed."""
    shutil.copytree(landing, root / "landing")
    run = run_parkpi(root, root / "landing", *args)
    assert run.returncode == 0, run.stdout + run.stderr
    return Build(root, run)


if __name__ == "__main__":  # python -m tests.builds BASE NAME: one shared build (start_shared)
    make_shared(Path(sys.argv[1]), sys.argv[2])
