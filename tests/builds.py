"""Warehouses built by the real `parkpi run`, for the tests: the environment of a run in a
folder of its own, and a build of a landing folder that tests share (read-only) or copy (to
change it). `tests/conftest.py` builds the bundled sample once per session.

Layout of a build's root: ``landing/``, ``warehouse/parkpi.duckdb``, ``warehouse/published/``,
``dagster_home/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def build(root: Path, landing: Path, *args: str) -> Build:
    """`parkpi run` on a copy of ``landing`` under root, as `make run` does; the run must succeed."""
    shutil.copytree(landing, root / "landing")
    run = run_parkpi(root, root / "landing", *args)
    assert run.returncode == 0, run.stdout + run.stderr
    return Build(root, run)
