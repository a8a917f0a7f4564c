"""Build a warehouse from a landing folder the way the pipeline does, minus Dagster: the
loader for every source, then `dbt run` (the models only; the dbt tests and the GX checks
have their own test modules).

Each build runs in its own process (`python -m tests.oracle.build`), so that it runs beside
the session's other builds and dbt-duckdb's connection, which stays open in the process that
ran dbt, never locks a file the tests read. The loader is called in one
place (`load_and_transform`): a move of the loader is a one-line change here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def load_and_transform(landing: Path, workdir: Path) -> Path:
    """Load `landing` into a new warehouse under `workdir`, build every dbt model; returns
    the warehouse file. Leaves a DuckDB connection open (dbt-duckdb's) until the process ends."""
    from dbt.cli.main import dbtRunner

    from orchestration.lib.dbt import PARTIAL_PARSE_FILE, seeded_parse
    from sources.loading import load_source
    from sources.registry import SOURCES
    from sources.warehouse import connect

    warehouse = workdir / "warehouse" / "parkpi.duckdb"
    con = connect(warehouse, memory_limit="1GB")
    try:
        for source in SOURCES.values():
            load_source(con, source, landing)
    finally:
        con.close()
    os.environ.update(
        PARKPI_WAREHOUSE=str(warehouse), PARKPI_DBT_MEMORY_LIMIT="1GB", DBT_SEND_ANONYMOUS_USAGE_STATS="false"
    )
    arguments = ["run", "--quiet"]
    for option, path in (
        ("--project-dir", DBT_PROJECT_DIR),
        ("--profiles-dir", DBT_PROJECT_DIR),
        ("--target-path", workdir / "dbt_target"),
        ("--log-path", workdir / "dbt_logs"),
    ):
        arguments += [option, str(path)]
    # a new warehouse: start from another one's parse instead of parsing everything again
    with seeded_parse(workdir / "dbt_target" / PARTIAL_PARSE_FILE):
        result = dbtRunner().invoke(arguments)
    if not result.success:
        log = (workdir / "dbt_logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"dbt run failed on {landing}: {result.exception}\n{log[-5000:]}")
    return warehouse


def build_in_own_process(
    landing: Path, workdir: Path, *options: str, timeout: int = 900
) -> subprocess.CompletedProcess:
    """``python -m tests.oracle.build landing workdir *options``: load and transform in a process
    of its own (see the module's docstring); a second call on the same workdir loads what changed
    and builds incrementally."""
    command = [sys.executable, "-m", "tests.oracle.build", str(landing), str(workdir), *options]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)


def generate(landing: Path, seed: int, scale: float, from_year: int | None = None) -> None:
    """A landing folder from the sample generator, with another seed and scale; with
    `from_year`, the year folders of earlier years are left out (`<source>/<year>/`: fewer
    files to load, and dossiers cut off at the start, as in a real first export)."""
    subprocess.run(
        [sys.executable, "-m", "sources.generate", "--out", str(landing), "--seed", str(seed), "--scale", str(scale)],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    if from_year is not None:
        for folder in landing.glob("*/[0-9][0-9][0-9][0-9]"):
            if folder.is_dir() and int(folder.name) < from_year:
                shutil.rmtree(folder)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--generate", nargs=3, metavar=("SEED", "SCALE", "FROM_YEAR"))
    parser.add_argument("--edge-cases", action="store_true")
    args = parser.parse_args(argv)
    if args.generate:
        generate(args.landing, int(args.generate[0]), float(args.generate[1]), int(args.generate[2]))
    if args.edge_cases:
        from tests.oracle import edge_cases

        edge_cases.write_landing(args.landing)
    print(load_and_transform(args.landing, args.workdir))


if __name__ == "__main__":
    main()
