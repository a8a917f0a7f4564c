"""Serving (issue 5): the published snapshot opens in DuckDB 1.4, Parquet holds the same rows,
swaps are atomic under a reader, BI tools connect as documented, and nothing is published from a
run whose blocking checks failed. The report on the published sample is in
tests/test_publish_report.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from serving.snapshot import META_TABLE, PUBLISHED_TABLES, SNAPSHOT_FILE, publish_snapshot, verify_snapshot
from sources.settings import PROJECT_ROOT
from tests.builds import Build, parkpi_env, run_parkpi

DUCKDB_14 = PROJECT_ROOT / ".tools" / "duckdb14" / "bin" / "python"


@pytest.fixture
def tiny_published(tiny_build: Build, tmp_path: Path):
    """A copy of the session's small build, to publish again or fail: (root, landing, publish dir)."""
    copy = tiny_build.copy(tmp_path / "build")
    return copy.root, copy.landing, copy.publish_dir


def warehouse_of(root: Path) -> Path:
    return root / "warehouse" / "parkpi.duckdb"


def test_snapshot_holds_the_published_tables_read_only(published) -> None:
    root, _, publish_dir = published
    snapshot = publish_dir / SNAPSHOT_FILE
    verify_snapshot(snapshot)
    assert snapshot.stat().st_mode & 0o777 == 0o444
    with duckdb.connect(str(warehouse_of(root)), read_only=True) as private:
        expected = private.execute("SELECT * FROM kpi.kpi_yearly ORDER BY ALL").fetchall()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("SELECT * FROM kpi_yearly ORDER BY ALL").fetchall() == expected  # schema main
        columns = [row[0] for row in con.execute("DESCRIBE kpi_yearly").fetchall()]
        # the dossier key stays private (serving/snapshot.py, PRIVATE_COLUMNS)
        keyed = con.execute("SELECT count(*) FROM duckdb_columns() WHERE column_name = '_dossier_key'").fetchone()[0]
        dossiers = con.execute("SELECT count(DISTINCT dossier_code) FROM kpi_dossier_sources").fetchone()[0]
    assert columns == ["year", "scope", "scope_code", "indicator", "value", "prior_value", "change_abs",
                       "change_pct", "trend"]  # fmt: skip
    assert keyed == 0 and dossiers > 0
    assert not list(publish_dir.glob(".*.tmp*")), "no temporary file is left behind"


def test_snapshot_opens_in_duckdb_1_4(published) -> None:
    """The BI drivers bundle DuckDB 1.x engines: the snapshot must open in 1.4."""
    if not DUCKDB_14.exists():
        pytest.fail(f"{DUCKDB_14} is missing: `make test` installs it (target .tools/duckdb14/.installed)")
    _, _, publish_dir = published
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "rows = con.execute('SELECT year, indicator, value FROM kpi_yearly "
        "WHERE scope = \\'province\\' ORDER BY ALL').fetchall()\n"
        "print(json.dumps({'version': duckdb.__version__, 'rows': rows}))\n"
    )
    out = subprocess.run([str(DUCKDB_14), "-c", script, str(publish_dir / SNAPSHOT_FILE)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["version"].startswith("1.4.")
    with duckdb.connect(str(publish_dir / SNAPSHOT_FILE), read_only=True) as con:
        expected = con.execute(
            "SELECT year, indicator, value FROM kpi_yearly WHERE scope = 'province' ORDER BY ALL"
        ).fetchall()
    assert [tuple(row) for row in answer["rows"]] == expected
    assert ["2017", "online_services_level3", 154.0] in [[str(r[0]), r[1], r[2]] for r in answer["rows"]]


def test_parquet_holds_the_same_rows(published) -> None:
    _, _, publish_dir = published
    parquet = publish_dir / "parquet"
    assert parquet.is_symlink() and parquet.resolve().parent.name == ".versions"
    con = duckdb.connect()
    con.execute("ATTACH ? AS snap (READ_ONLY)", [str(publish_dir / SNAPSHOT_FILE)])
    for _, table in (*PUBLISHED_TABLES, ("", META_TABLE)):
        path = parquet / f"{table}.parquet"
        assert path.stat().st_mode & 0o777 == 0o444
        difference = con.execute(
            f"""SELECT count(*) FROM (
                  (SELECT * FROM read_parquet(?) EXCEPT ALL SELECT * FROM snap.main.{table})
                  UNION ALL
                  (SELECT * FROM snap.main.{table} EXCEPT ALL SELECT * FROM read_parquet(?)))""",
            [str(path), str(path)],
        ).fetchone()[0]
        assert difference == 0, table


def leadership_queries() -> list[str]:
    text = (PROJECT_ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    section = text.split("## Leadership queries", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


SUPERSET_CLIENT = """
import json, sys
import sqlalchemy as sa
engine = sa.create_engine(sys.argv[1])
queries = json.loads(sys.stdin.read())
with engine.connect() as connection:
    results = [[list(row) for row in connection.execute(sa.text(q)).fetchall()] for q in queries]
    mode = connection.execute(sa.text("SELECT current_setting('access_mode')")).scalar()
    try:
        connection.execute(sa.text("CREATE TABLE scratch (x INTEGER)"))
        write = "allowed"
    except sa.exc.DBAPIError as error:
        write = str(error).splitlines()[0]
print(json.dumps({"results": results, "mode": mode, "write": write}, default=str))
"""


def test_superset_style_connection_runs_the_documented_queries(published) -> None:
    """SQLAlchemy + duckdb-engine with the URI docs/serving.md gives for Superset, in a process
    of its own as a BI server is."""
    _, _, publish_dir = published
    queries = leadership_queries()
    assert len(queries) >= 4
    uri = f"duckdb:///{publish_dir / SNAPSHOT_FILE}?access_mode=read_only"
    out = subprocess.run([sys.executable, "-c", SUPERSET_CLIENT, uri], input=json.dumps(queries), cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["mode"] == "read_only"
    assert "read-only" in answer["write"], answer["write"]
    headline, services, agencies, meta = answer["results"][:4]
    assert len(headline) == 19  # every indicator, labelled
    assert [2017, "online_services_level3", 154.0] in [r[:3] for r in services]
    assert agencies and all(r[2] is None or 0 <= r[2] <= 1 for r in agencies)
    assert {r[2] for r in meta} == {table for _, table in PUBLISHED_TABLES}


def test_failed_publish_keeps_the_previous_snapshot(published, tmp_path: Path) -> None:
    root, _, publish_dir = published
    target = tmp_path / "published"
    shutil.copytree(publish_dir, target, symlinks=True)
    before = verify_snapshot(target / SNAPSHOT_FILE)
    con = duckdb.connect(str(tmp_path / "broken.duckdb"))
    con.execute("CREATE SCHEMA kpi")
    con.execute("CREATE TABLE kpi.kpi_yearly AS SELECT 1 AS year")  # the other tables are missing
    with pytest.raises(duckdb.CatalogException):
        publish_snapshot(con, target)
    con.close()
    assert verify_snapshot(target / SNAPSHOT_FILE) == before
    assert not list(target.glob(".*.tmp*")) and len(list((target / ".versions").iterdir())) == 1


@pytest.mark.timeout(1200)  # two whole runs one after the other, and the readers
def test_two_runs_at_once_queue_agree_and_readers_see_only_complete_snapshots(tiny_published, tmp_path: Path) -> None:
    """A new export lands (an overlapping re-export: the same events under another name) and two
    runs start a second apart on one warehouse - `parkpi run`, as the schedule would, then
    `parkpi run --full` - while two readers watch the published snapshot. The first run sees
    the new file and runs everything; the second waits for it (the writer lock) instead of
    failing; both succeed; the duplicates change no figure; the data is loaded once; both
    publish the same tables; and the readers only ever see complete snapshots (one held open
    all along, one reopening). (One scenario for the queue and for a new export: each costs
    whole runs, and the runs of one serve the other.)"""
    root, landing, publish_dir = tiny_published
    before = verify_snapshot(publish_dir / SNAPSHOT_FILE)
    with duckdb.connect(str(warehouse_of(root)), read_only=True) as con:
        kpis_before = con.execute("SELECT * FROM kpi.kpi_yearly ORDER BY ALL").fetchall()
    export = sorted(landing.glob("portal/2020/**/*.jsonl*"))[0]
    shutil.copy(export, export.with_name("re_export_" + export.name))
    stop = tmp_path / "stop"
    # The readers write to files, not pipes: a pipe nobody drains during the runs fills up
    # (64 KiB, about a minute of looks) and blocks the reader, which then stops looking.
    logs = {mode: tmp_path / f"{mode}.jsonl" for mode in ("hold", "poll")}
    readers = {}
    for mode, log in logs.items():
        with log.open("w") as out:
            readers[mode] = subprocess.Popen(
                [sys.executable, "-m", "tests.snapshot_reader", mode, str(publish_dir), str(stop)],
                cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
    command = [sys.executable, "-m", "orchestration.cli", "run"]
    env = parkpi_env(root, landing)
    try:
        deadline = time.monotonic() + 60
        while not all(log.read_text().endswith("\n") for log in logs.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        runs = []
        for extra in ([], ["--full"]):
            runs.append(subprocess.Popen(command + extra, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True))  # fmt: skip
            time.sleep(1.0)
        outputs = [run.communicate(timeout=600)[0] for run in runs]
        published_last = time.time()
        time.sleep(1.0)  # a few more looks after the last swap
    finally:
        stop.touch()
        errors = {mode: reader.communicate(timeout=60)[1] for mode, reader in readers.items()}
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
    assert any("waiting        the warehouse is being written by parkpi run" in out for out in outputs), outputs
    # the new export made the plain `parkpi run` (started first, so first to the lock) run everything
    assert "full run       portal: portal/2020/" in outputs[0], outputs[0]
    assert all("parkpi_dbt_models" in out for out in outputs), outputs

    # loaded once, the sample's figure (sources/sample/README.md)
    with duckdb.connect(str(warehouse_of(root)), read_only=True) as con:
        level3 = con.execute(
            """SELECT value FROM kpi.kpi_yearly WHERE year = 2020 AND scope = 'province'
               AND indicator = 'online_services_level3'"""
        ).fetchone()[0]
        duplicates = con.execute(
            "SELECT count(*) - count(DISTINCT (MaHoSo, TrangThaiHoSo, ThoiDiem, _source_file, _source_line)) "
            "FROM raw_portal.events"
        ).fetchone()[0]
        re_exported = con.execute(
            "SELECT count(*) FROM raw_portal.events WHERE _source_file LIKE '%re_export_%'"
        ).fetchone()[0]
        kpis_after = con.execute("SELECT * FROM kpi.kpi_yearly ORDER BY ALL").fetchall()
    assert level3 == 742 and duplicates == 0
    assert re_exported > 0 and kpis_after == kpis_before  # the re-export is loaded and changes no figure

    # the result equals one run: every table the first run published (kept as the previous
    # Parquet version) equals what the second one published after it
    versions = sorted((publish_dir / ".versions").glob("parquet-*"))
    assert len(versions) == 2, versions  # current + previous Parquet set
    tables = sorted(path.name for path in versions[0].glob("*.parquet") if path.name != "_snapshot.parquet")
    assert "kpi_yearly.parquet" in tables and "fct_dossiers.parquet" in tables
    with duckdb.connect() as con:
        for table in tables:
            first, second = (str(version / table) for version in versions)
            differ = con.execute(
                "SELECT (SELECT count(*) FROM (FROM read_parquet($1) EXCEPT ALL FROM read_parquet($2)))"
                " + (SELECT count(*) FROM (FROM read_parquet($2) EXCEPT ALL FROM read_parquet($1)))",
                [first, second],
            ).fetchone()[0]
            assert differ == 0, table

    lines = {mode: [json.loads(line) for line in log.read_text().splitlines()] for mode, log in logs.items()}
    ready = {mode: lines[mode][0] for mode in lines}
    looks = {mode: lines[mode][1:] for mode in lines}
    for mode, reader in readers.items():
        assert reader.returncode == 0, errors[mode]
        assert [look["error"] for look in looks[mode] if "error" in look] == [], mode
        assert len(looks[mode]) > 20, mode
        assert looks[mode][-1]["t"] > published_last, f"{mode} stopped looking before the second publish"
    # the dashboard left open kept one consistent snapshot while the file was replaced twice
    assert all(look["consistent"] for look in looks["hold"])
    # fresh readers always found a complete snapshot: the old one, then each new one in turn
    seen = [look["snapshot_id"] for look in looks["poll"]]
    order = list(dict.fromkeys(seen))
    assert order[0] == ready["hold"]["snapshot_id"] == before and len(order) == 3, order
    assert verify_snapshot(publish_dir / SNAPSHOT_FILE) == seen[-1]


def test_nothing_is_published_when_a_blocking_check_fails(tiny_published) -> None:
    """A mailbox report with a negative count that no correction replaces: the checks on
    marts/fct_mailbox_positions fail (dbt's data test fails the dbt step first), the run fails,
    the snapshot stays as it was."""
    root, landing, publish_dir = tiny_published
    before = verify_snapshot(publish_dir / SNAPSHOT_FILE)
    report = sorted(landing.glob("mailbox/**/*.csv"))[-1]
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("Kỳ báo cáo")] = "12/2020"
    row[header.index("Tổng số hộp thư đã cấp")] = "-5"
    # last in path order, so it is the correction that stands for December 2020
    bad = landing / "mailbox" / "zz_corrections" / "correction.csv"
    bad.parent.mkdir()
    bad.write_text("\n".join([lines[0], ",".join(row)]) + "\n", encoding="utf-8")
    try:
        run = run_parkpi(root, landing)
    finally:
        shutil.rmtree(bad.parent)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "fct_mailbox_positions" in run.stdout + run.stderr
    assert "publish__kpi_snapshot started" not in run.stdout  # Dagster did not even start it
    assert verify_snapshot(publish_dir / SNAPSHOT_FILE) == before
    status = subprocess.run([sys.executable, "-m", "orchestration.cli", "status"], cwd=PROJECT_ROOT,
                            env=parkpi_env(root, landing), capture_output=True, text=True, timeout=120)  # fmt: skip
    assert status.returncode == 1 and "FAILURE" in status.stdout  # `parkpi status` tells the shell too


def test_a_killed_publish_does_not_cost_readers_the_previous_parquet_set(tmp_path: Path) -> None:
    """A publish SIGKILLed half-way leaves a Parquet folder that was never linked (its cleanup
    never ran). The next publish must keep the set readers were actually in (the one the link
    pointed to), not the orphan because it is newer, and must clear the orphan."""
    con = duckdb.connect()
    for schema, table in PUBLISHED_TABLES:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE TABLE {schema}.{table} AS SELECT 1 AS x")
    publish_dir = tmp_path / "published"
    first = publish_snapshot(con, publish_dir)
    in_use = (publish_dir / "parquet").resolve()
    orphan = publish_dir / ".versions" / "parquet-killed"
    orphan.mkdir()
    (orphan / "kpi_yearly.parquet").write_bytes(b"half")
    later = time.time() + 5  # written after the set in use, as a later, killed publish would be
    os.utime(orphan, (later, later))
    stale_link = publish_dir / ".parquet.killed.tmp"
    stale_link.symlink_to(".versions/parquet-killed")
    old = time.time() - 3600
    os.utime(stale_link, (old, old), follow_symlinks=False)
    second = publish_snapshot(con, publish_dir)
    assert second.snapshot_id != first.snapshot_id
    versions = {p.name for p in (publish_dir / ".versions").iterdir()}
    assert versions == {in_use.name, (publish_dir / "parquet").resolve().name}, versions
    assert not stale_link.is_symlink()
    third = publish_snapshot(con, publish_dir)  # and the set before the previous one goes
    assert {p.name for p in (publish_dir / ".versions").iterdir()} == {
        f"parquet-{second.snapshot_id}",
        f"parquet-{third.snapshot_id}",
    }
