"""Shared fixtures: every test gets its own landing folder and warehouse in tmp_path."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from sources.mailbox import MAILBOX
from sources.portal import PORTAL
from sources.postal import POSTAL
from sources.registry import SOURCES
from sources.warehouse import connect
from tests.builds import Build, shared, start_shared

# Memory-backed temporary folders when the machine has them: every `parkpi run` of the suite
# commits its Dagster run history (SQLite, ~1,700 commits a run) and DuckDB checkpoints, each
# waiting for the disk (15-20 ms a commit on ext4 here, nothing on tmpfs). What the tests check
# (kills, swaps, locks) does not depend on the disk; PARKPI_TEST_TMP chooses another folder.
RAM_TMP = Path(os.environ.get("PARKPI_TEST_TMP", "/dev/shm"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.option.basetemp or os.environ.get("PYTEST_XDIST_WORKER"):
        return  # given on the command line, or a worker (xdist hands it its part of ours)
    if RAM_TMP.is_dir() and os.access(RAM_TMP, os.W_OK):
        # a fixed name per user and checkout: pytest empties it at the start of each session,
        # pytest_unconfigure removes it after a session that passed
        checkout = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]
        config.option.basetemp = str(RAM_TMP / f"parkpi-tests-{os.getuid()}-{checkout}")
        config.stash[_RAM_BASETEMP] = True


_RAM_BASETEMP = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """The whole suite (no paths given): start the shared builds in the background now."""
    config = session.config
    if os.environ.get("PYTEST_XDIST_WORKER") or config.getoption("collectonly"):
        return
    given = [arg for arg in config.args if not arg.startswith("-")]
    whole = not given or all(Path(arg).resolve() == Path(__file__).resolve().parent for arg in given)
    if whole and config.getoption("numprocesses", None):
        base = session.config._tmp_path_factory.getbasetemp()  # noqa: SLF001 - the session's base
        start_shared(base)


# The slowest test files (whole `parkpi run`s; `--durations=15` names them), longest first
# (seconds a file took in a whole-suite run on the 2-core reference machine, 2026-12-04). With
# `--dist loadfile --no-loadscope-reorder` pytest-xdist hands whole files to the workers in
# collection order, so these go first and the many quick files fill the end of the session
# instead of one long file running alone at the end. (Without --no-loadscope-reorder xdist orders
# files by their number of tests: the one-test crash-safety file then started after 520 s.)
SLOW_FILES_FIRST = (
    "test_spark.py",  # 170: its Spark build mostly waits on Spark's per-query latency: best started early
    "test_pipeline.py",  # 250
    "test_dbt_project.py",  # 185
    "test_publish.py",  # 155 together with test_publish_report.py, split from it (not timed apart yet)
    "test_publish_report.py",
    "test_crash_safety.py",  # 110
    "test_quality_checks.py",  # 95
    "test_automation.py",  # 50
    "test_explain.py",  # 45
    "test_ui.py",  # 30
    "test_generate.py",  # 25
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: index for index, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if config.stash.get(_RAM_BASETEMP, False) and exitstatus == 0:
        shutil.rmtree(config.option.basetemp, ignore_errors=True)  # memory, not disk: give it back


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def snapshot(con, table: str) -> list[tuple]:
    """Every row of ``table``, sorted: for comparing a raw table before and after."""
    return rows(con, f"SELECT * FROM {table} ORDER BY ALL")


def header(source) -> list[str]:
    return [f.name for f in source.entities[0].fields]


PORTAL_HEADER = header(PORTAL)
POSTAL_HEADER = header(POSTAL)
MAILBOX_HEADER = header(MAILBOX)


def event(code: str = "D1", status: int = 2, at: str = "20170102080000", **extra: object) -> dict:
    record = {
        "MaHoSo": code,
        "MaTTHC": "1.000001",
        "MaDonVi": "000.00.20.H33",
        "KenhThucHien": 2,
        "TrangThaiHoSo": status,
        "ThoiDiem": at,
    }
    record.update(extra)
    return record


def write_jsonl(path: Path, records: list[object], *, compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)
    if compress:
        path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[object]],
    *,
    bom: bool = False,
    compress: bool = False,
    encoding: str = "utf-8",
) -> Path:
    import csv
    import io

    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    data = (("\ufeff" if bom else "") + buffer.getvalue()).encode(encoding)
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture(scope="session", autouse=True)
def dagster_home_for_the_session(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs started in the test process are recorded in a Dagster home of the session's own,
    never in the repository's warehouse (a test that needs another sets DAGSTER_HOME itself)."""
    if "DAGSTER_HOME" not in os.environ:
        home = tmp_path_factory.mktemp("dagster_home")
        os.environ["DAGSTER_HOME"] = str(home)


@pytest.fixture(scope="session")
def shared_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every pytest-xdist worker of this session sees (the session's base temporary
    folder; a worker's own is a subfolder of it), for builds made once for all of them."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def sample_build(shared_base: Path) -> Build:
    """`parkpi run` on a copy of the bundled sample, as `make run` does, once per session (for
    all workers). Read-only for the tests that share it: a test that changes a build takes a
    copy (``sample_build.copy(tmp_path / "build")``) or a twin (``.twin``)."""
    return shared(shared_base, "sample_build")


@pytest.fixture(scope="session")
def tiny_build(shared_base: Path) -> Build:
    """`parkpi run` on a month of the sample (tests/builds.py TINY_FILES), once per session, for
    tests about locks, swaps and failures rather than figures. Copy it to change it."""
    return shared(shared_base, "tiny_build")


@pytest.fixture(scope="session")
def unseen_build(shared_base: Path) -> Build:
    """Data no test was written against: the 2019-2020 files of a landing folder generated with
    another seed and scale (tests/builds.py UNSEEN_*), with the hand-written edge cases
    (tests/oracle/edge_cases.py) on top, loaded and built by dbt alone (tests/oracle/build.py),
    once per session for all workers. Shared by test_oracle and test_explain; read-only."""
    return shared(shared_base, "unseen_build")


@pytest.fixture
def published(sample_build: Build):
    """The session's sample build (read-only): (root, landing, publish dir)."""
    assert "DuckDB snapshot" in sample_build.run.stdout and "report" in sample_build.run.stdout
    return sample_build.root, sample_build.landing, sample_build.publish_dir


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    for token in SOURCES:
        (root / token).mkdir(parents=True)
    return root


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "warehouse" / "parkpi.duckdb", memory_limit="512MB")
    yield connection
    connection.close()


@pytest.fixture
def settings_env(tmp_path: Path, landing: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every parkpi setting at tmp_path (what a user does with the env variables)."""
    monkeypatch.setenv("PARKPI_LANDING_DIR", str(landing))
    monkeypatch.setenv("PARKPI_WAREHOUSE", str(tmp_path / "warehouse" / "parkpi.duckdb"))
    monkeypatch.setenv("PARKPI_PUBLISH_DIR", str(tmp_path / "warehouse" / "published"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir(exist_ok=True)
    return tmp_path
