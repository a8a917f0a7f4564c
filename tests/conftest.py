"""Shared fixtures: every test gets its own landing folder and warehouse in tmp_path."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from sources.mailbox import MAILBOX
from sources.portal import PORTAL
from sources.postal import POSTAL
from sources.settings import SAMPLE_LANDING_DIR
from sources.warehouse import connect
from tests.builds import Build, build, tiny_landing


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
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`parkpi run` on a copy of the bundled sample, as `make run` does, once per session.
    Read-only for the tests that share it: a test that changes a build takes a copy
    (``sample_build.copy(tmp_path / "build")``)."""
    return build(tmp_path_factory.mktemp("sample_build"), SAMPLE_LANDING_DIR)


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`parkpi run` on a month of the sample (tests/builds.py TINY_FILES), once per session, for
    tests about locks, swaps and failures rather than figures. Copy it to change it."""
    root = tmp_path_factory.mktemp("tiny_build")
    return build(root, tiny_landing(tmp_path_factory.mktemp("tiny_landing")))


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    for token in ("portal", "postal", "mailbox", "catalog"):
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
