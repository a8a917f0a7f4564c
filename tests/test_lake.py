"""The Parquet lake (sources/lake.py): the raw layer as Hive-partitioned files, kept in step with
the raw tables by the loads' change sets, only changed partitions rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from sources import lake
from sources.catalog import CATALOG
from sources.loading import load_source
from sources.portal import PORTAL
from sources.postal import POSTAL
from sources.registry import SOURCES
from tests.conftest import POSTAL_HEADER, event, write_csv, write_jsonl


def lake_rows(con: duckdb.DuckDBPyConnection, lake_dir: Path, table: lake.LakeTable) -> list[tuple]:
    hive = ", hive_partitioning = true" if table.period_field else ""
    columns = ", ".join(f'"{name}"' for name, _ in table.columns)
    return con.execute(f"SELECT {columns} FROM read_parquet('{table.glob(lake_dir)}'{hive}) ORDER BY ALL").fetchall()


def raw_rows(con: duckdb.DuckDBPyConnection, table: lake.LakeTable) -> list[tuple]:
    columns = ", ".join(f'"{name}"' for name, _ in table.columns)
    return con.execute(f"SELECT {columns} FROM {table.schema}.{table.name} ORDER BY ALL").fetchall()


def partitions(lake_dir: Path) -> dict[str, tuple[int, int]]:
    """Each portal partition file and its identity (inode, mtime): unchanged files keep both."""
    files = sorted((lake_dir / "portal" / "events").glob("year=*/month=*/*.parquet"))
    return {str(f.relative_to(lake_dir)): (f.stat().st_ino, f.stat().st_mtime_ns) for f in files}


EVENTS = lake.lake_tables(PORTAL)[0]


@pytest.fixture
def portal_landing(landing: Path) -> Path:
    write_jsonl(landing / "portal/2017/01.jsonl", [event("A", 2, "20170105080000"), event("A", 9, "20170210080000")])
    write_jsonl(landing / "portal/2017/03.jsonl", [event("B", 2, "20170301080000")])
    write_jsonl(landing / "portal/2018/05.jsonl", [event("C", 2, "20180502080000")])
    return landing


def test_layout_and_content_match_the_raw_tables(con, portal_landing: Path, tmp_path: Path) -> None:
    write_csv(portal_landing / "postal/2017.csv", POSTAL_HEADER, [])
    for source in SOURCES.values():
        load_source(con, source, portal_landing)
    lake_dir = tmp_path / "lake"
    results = lake.sync_all(con, lake_dir)

    assert sorted(partitions(lake_dir)) == [
        "portal/events/year=2017/month=1/part-0.parquet",
        "portal/events/year=2017/month=2/part-0.parquet",
        "portal/events/year=2017/month=3/part-0.parquet",
        "portal/events/year=2018/month=5/part-0.parquet",
    ]
    for source in SOURCES.values():
        for table in lake.lake_tables(source):
            if not table.period_field:  # one file, present even without rows (Spark needs its columns)
                assert (lake_dir / source.token / table.name / lake.DATA_FILE).is_file()
            assert lake_rows(con, lake_dir, table) == raw_rows(con, table), table.name
    assert lake_rows(con, lake_dir, EVENTS)  # the check above compared something
    assert {r.source: r.unchanged for r in results} == dict.fromkeys(SOURCES, False)
    # zstd, and the partition values come from the folders, not the files
    schema = con.execute(
        f"SELECT name FROM parquet_schema('{lake_dir}/portal/events/year=2017/month=1/part-0.parquet')"
    ).fetchall()
    assert ("year",) not in schema and ("MaHoSo",) in schema
    codecs = con.execute(
        f"SELECT DISTINCT compression FROM parquet_metadata('{lake_dir}/portal/events/*/*/*.parquet')"
    ).fetchall()
    assert codecs == [("ZSTD",)]


def test_only_the_partitions_a_load_changed_are_rewritten(con, portal_landing: Path, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    load_source(con, PORTAL, portal_landing)
    lake.sync_source(con, PORTAL, lake_dir)
    before = partitions(lake_dir)

    nothing = lake.sync_source(con, PORTAL, lake_dir)  # no load since: nothing touched
    assert nothing.unchanged and partitions(lake_dir) == before

    # 2017/03.jsonl now also has an event in April; 2018/05.jsonl is gone
    march = [event("B", 2, "20170301080000"), event("B", 9, "20170402080000")]
    write_jsonl(portal_landing / "portal/2017/03.jsonl", march)
    (portal_landing / "portal/2018/05.jsonl").unlink()
    load_source(con, PORTAL, portal_landing)
    result = lake.sync_source(con, PORTAL, lake_dir)

    after = partitions(lake_dir)
    assert result.written == ["events/year=2017/month=3", "events/year=2017/month=4", "dossier_changes"]
    assert result.removed == ["events/year=2018/month=5"]
    assert not (lake_dir / "portal/events/year=2018").exists()
    for untouched in ("year=2017/month=1", "year=2017/month=2"):
        key = f"portal/events/{untouched}/part-0.parquet"
        assert after[key] == before[key], f"{untouched} was rewritten"
    march_file = "portal/events/year=2017/month=3/part-0.parquet"
    assert after[march_file] != before[march_file]
    assert lake_rows(con, lake_dir, EVENTS) == raw_rows(con, EVENTS)
    changes = lake.lake_tables(PORTAL)[1]
    assert changes.name == "dossier_changes"
    assert lake_rows(con, lake_dir, changes) == raw_rows(con, changes) == [(2, "B"), (2, "C")]


def test_a_month_reloaded_by_request_is_rewritten_with_its_new_load_id(con, portal_landing, tmp_path) -> None:
    lake_dir = tmp_path / "lake"
    load_source(con, PORTAL, portal_landing)
    lake.sync_source(con, PORTAL, lake_dir)
    load_source(con, PORTAL, portal_landing, periods=("2018-05", "2018-05"))  # re-read, same content
    result = lake.sync_source(con, PORTAL, lake_dir)
    assert result.written == ["events/year=2018/month=5", "dossier_changes"]
    load_id = [name for name, _ in EVENTS.columns].index("_load_id")
    assert {row[load_id] for row in lake_rows(con, lake_dir, EVENTS) if row[0] == "C"} == {2}


def test_an_interrupted_sync_is_finished_by_the_next(con, portal_landing, tmp_path, monkeypatch) -> None:
    """A crash after some partitions: the state file still describes the old lake, so the next
    sync rewrites the same partitions; readers only ever see whole files."""
    lake_dir = tmp_path / "lake"
    load_source(con, PORTAL, portal_landing)
    lake.sync_source(con, PORTAL, lake_dir)
    write_jsonl(portal_landing / "portal/2017/01.jsonl", [event("A", 2, "20170106080000")])
    load_source(con, PORTAL, portal_landing)

    real_replace, moved = os.replace, []

    def crash_after_one(source, target):
        if moved:
            raise OSError("disk went away")
        moved.append(target)
        real_replace(source, target)

    monkeypatch.setattr(lake.os, "replace", crash_after_one)
    with pytest.raises(OSError, match="disk went away"):
        lake.sync_source(con, PORTAL, lake_dir)
    monkeypatch.setattr(lake.os, "replace", real_replace)
    assert not list((lake_dir / lake.STAGING_DIR).glob("*/*")), "staging files left behind"
    for file in (lake_dir / "portal/events").glob("*/*/*.parquet"):
        assert con.execute(f"SELECT count(*) FROM read_parquet('{file}')").fetchone()[0] > 0

    result = lake.sync_source(con, PORTAL, lake_dir)  # January again; February has no event any more
    assert result.written == ["events/year=2017/month=1", "dossier_changes"]
    assert not (lake_dir / "portal/events/year=2017/month=2").exists()
    assert lake_rows(con, lake_dir, EVENTS) == raw_rows(con, EVENTS)


def test_full_rebuild_drops_partitions_the_raw_table_no_longer_has(con, portal_landing, tmp_path) -> None:
    lake_dir = tmp_path / "lake"
    load_source(con, PORTAL, portal_landing)
    lake.sync_source(con, PORTAL, lake_dir)
    stray = lake_dir / "portal/events/year=2009/month=1"
    stray.mkdir(parents=True)
    (stray / "part-0.parquet").write_bytes((lake_dir / "portal/events/year=2017/month=1/part-0.parquet").read_bytes())
    result = lake.sync_source(con, PORTAL, lake_dir, full=True)
    assert "events/year=2009/month=1" in result.removed and not stray.exists()
    assert lake_rows(con, lake_dir, EVENTS) == raw_rows(con, EVENTS)


def test_spark_declares_every_raw_table_with_its_columns(tmp_path: Path) -> None:
    described = {(t["schema"], t["table"]): t for t in lake.spark_tables(tmp_path)}
    expected = {(s.schema, e.name) for s in SOURCES.values() for e in s.entities} | {("raw_portal", "dossier_changes")}
    assert set(described) == expected
    events = described[("raw_portal", "events")]
    assert events["partitioned_by"] == ["year", "month"]
    assert events["location"] == str(tmp_path / "portal" / "events")
    assert ["ThoiDiem", "timestamp_ntz"] in events["columns"] and events["columns"][-2:] == [
        ["year", "int"],
        ["month", "int"],
    ]
    agencies = described[("raw_catalog", "agencies")]
    assert agencies["partitioned_by"] == [] and agencies["columns"][0] == ["MaDonVi", "string"]
    assert [c for c, _ in agencies["columns"]] == [f.name for f in CATALOG.entity("agencies").fields] + [
        "_source_file",
        "_source_line",
        "_load_id",
        "_loaded_at",
    ]
    postal = described[("raw_postal", "shipments")]
    assert [c for c, _ in postal["columns"]][:2] == [f.name for f in POSTAL.entities[0].fields][:2]
