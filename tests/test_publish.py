"""Serving (issue 5): the published snapshot opens in DuckDB 1.4, Parquet holds the same rows,
swaps are atomic under a reader, BI tools connect as documented, the report renders in a real
browser, and nothing is published from a run whose blocking checks failed."""

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

from serving.i18n import EN, VI
from serving.snapshot import META_TABLE, PUBLISHED_TABLES, SNAPSHOT_FILE, publish_snapshot, verify_snapshot
from sources.settings import PROJECT_ROOT
from tests.builds import Build, parkpi_env, run_parkpi

DUCKDB_14 = PROJECT_ROOT / ".tools" / "duckdb14" / "bin" / "python"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def published(sample_build: Build):
    """The session's sample build (read-only): (root, landing, publish dir)."""
    assert "DuckDB snapshot" in sample_build.run.stdout and "report" in sample_build.run.stdout
    return sample_build.root, sample_build.landing, sample_build.publish_dir


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


def test_report_renders_in_chromium(published, tmp_path: Path) -> None:
    """The report of the sample in a real browser: the numbers of the snapshot in the narrative,
    one bar per year and indicator, nothing clipped (indicator names are long), and a screenshot
    (REPORT_SCREENSHOTS=<folder> keeps it) to look at."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (`make test` installs it on Debian as root)")
    from tests.test_report import LAYOUT_PROBE, chromium, screenshot

    _, _, publish_dir = published
    page = publish_dir / "report" / "index.html"
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>"), "utf-8")
    dom = chromium(["--window-size=1280,1000", "--dump-dom", probed.as_uri()], tmp_path / "chromium").stdout
    with duckdb.connect(str(publish_dir / SNAPSHOT_FILE), read_only=True) as con:
        year = con.execute("SELECT max(year) FROM kpi_yearly").fetchone()[0]
        level3, level3_prior, mailboxes = con.execute(
            """SELECT max(value) FILTER (indicator = 'online_services_level3'),
                      max(prior_value) FILTER (indicator = 'online_services_level3'),
                      max(value) FILTER (indicator = 'mailboxes_issued')
               FROM kpi_yearly WHERE scope = 'province' AND year = ?""",
            [year],
        ).fetchone()
        points = dict(
            con.execute(
                """SELECT i.indicator_group, count(k.value) FROM kpi_yearly k JOIN dim_indicators i USING (indicator)
                   WHERE k.scope = 'province' GROUP BY ALL"""
            ).fetchall()
        )
    layout = json.loads(re.search(r'data-layout="([^"]*)"', dom).group(1).replace("&quot;", '"'))
    assert layout["problems"] == [], layout
    for group, count in points.items():
        match = re.search(rf'<figure class="chart" data-group="{group}" data-drawn="(\d+)"', dom)
        assert match and int(match.group(1)) == count, group
    assert dom.count('<rect class="bar') >= sum(points.values())
    narrative_vi = re.search(r'<p class="narrative" id="narrative-vi"[^>]*>(.*?)</p>', dom, re.S).group(1)
    narrative_en = re.search(r'<p class="narrative" id="narrative-en"[^>]*>(.*?)</p>', dom, re.S).group(1)
    assert f"Năm {year}, toàn tỉnh Lạng Sơn có {VI.number(level3, 'count')} dịch vụ công trực tuyến mức độ 3" in (
        narrative_vi
    )
    assert f"tăng {VI.number(level3 - level3_prior, 'count')}" in narrative_vi
    assert f"{VI.number(mailboxes, 'count')} hộp thư điện tử công vụ" in narrative_vi
    assert f"{EN.number(level3, 'count')} online public services at level 3" in narrative_en
    assert 'data-indicator="on_time_rate"' in dom and "trend-improved" in dom
    screenshot(page, tmp_path / f"report-sample-{year}.png", tmp_path / "chromium")


def test_annual_report_marks_targets_as_kpi_targets_does(published) -> None:
    """Through December the report's met / not met is kpi_targets.target_met, for the province
    and for every agency with a target."""
    _, _, publish_dir = published
    page = (publish_dir / "report" / "index.html").read_text(encoding="utf-8")
    with duckdb.connect(str(publish_dir / SNAPSHOT_FILE), read_only=True) as con:
        year = con.execute("SELECT max(year) FROM kpi_yearly").fetchone()[0]
        targets = con.execute(
            "SELECT scope_code, indicator, target_met FROM kpi_targets WHERE year = ? AND value IS NOT NULL", [year]
        ).fetchall()
    assert f"năm {year}" in page and any(code == "ALL" for code, _, _ in targets)
    assert any(code != "ALL" for code, _, _ in targets)
    agencies = re.search(r'<table class="agencies".*?</table>', page, re.S).group(0)
    for scope_code, indicator, met in targets:
        expected = f'data-met="{"yes" if met else "no"}"'
        if scope_code == "ALL":
            row = re.search(rf'<tr data-indicator="{indicator}">(.*?)</tr>', page, re.S).group(1)
            assert expected in row, (scope_code, indicator)
        else:
            row = re.search(rf'<tr data-agency="{re.escape(scope_code)}"[^>]*>(.*?)</tr>', agencies, re.S).group(1)
            cell = re.search(rf'<td [^>]*data-target-of="{indicator}"[^>]*>', row).group(0)
            assert expected in cell, (scope_code, indicator)


def test_mid_year_report_of_the_sample(published, tmp_path: Path) -> None:
    """The sample's snapshot as of 20 October 2020: the first nine months of 2020 against
    January-September 2019, from kpi_periodic; the page in Chromium, nothing clipped, a screenshot."""
    import datetime as dt

    from serving.report import build_report

    _, _, publish_dir = published
    snapshot = publish_dir / SNAPSHOT_FILE
    result = build_report(snapshot, tmp_path / "report", as_of=dt.date(2020, 10, 20))
    assert result.html.name == "bao-cao-report-2020-ytd-9.html"
    page = result.html.read_text(encoding="utf-8")
    assert "Báo cáo kết quả cải cách hành chính 9 tháng đầu năm 2020" in page
    assert "Administrative reform results for the first nine months of 2020" in page
    assert "compared with January\u2009–\u2009September 2019" in page
    with duckdb.connect(str(snapshot), read_only=True) as con:
        figures = {
            indicator: (value, prior)
            for indicator, value, prior in con.execute(
                """SELECT indicator, value, prior_value FROM kpi_periodic WHERE scope = 'province'
                     AND period_type = 'ytd' AND year = 2020 AND period = 9"""
            ).fetchall()
        }
        months = con.execute(
            """SELECT year, period, value FROM kpi_periodic WHERE scope = 'province' AND period_type = 'month'
                 AND indicator = 'dossiers_received' AND year IN (2019, 2020) AND period <= 9 ORDER BY period, year"""
        ).fetchall()
    for indicator in ("dossiers_received", "online_submission_rate", "on_time_rate", "mailboxes_issued"):
        value, prior = figures[indicator]
        unit = "count" if indicator in ("dossiers_received", "mailboxes_issued") else "ratio"
        row = re.search(rf'<tr data-indicator="{indicator}">(.*?)</tr>', page, re.S).group(1)
        assert f'<td class="num value">{VI.number(value, unit)}</td>' in row, indicator
        assert f'<td class="num prior">{VI.number(prior, unit)}</td>' in row, indicator
    chart = re.search(r'<div class="panel" data-indicator="dossiers_received".*?</svg>', page.split("chart monthly")[1],
                      re.S).group(0)  # fmt: skip
    drawn = re.findall(r'data-year="(\d+)" data-month="(\d+)" data-value="([^"]+)"', chart)
    assert [(int(y), int(m), float(v)) for y, m, v in drawn] == [(y, m, v) for y, m, v in months]
    assert len(drawn) == 18
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (`make test` installs it on Debian as root)")
    from tests.test_report import LAYOUT_PROBE, chromium, screenshot

    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("</body>", LAYOUT_PROBE + "</body>"), "utf-8")
    dom = chromium(["--window-size=1280,1000", "--dump-dom", probed.as_uri()], tmp_path / "chromium").stdout
    layout = json.loads(re.search(r'data-layout="([^"]*)"', dom).group(1).replace("&quot;", '"'))
    assert layout["problems"] == [], layout
    screenshot(result.html, tmp_path / "report-sample-2020-ytd-9.png", tmp_path / "chromium")


def test_report_workbook_has_the_same_tables(published) -> None:
    from openpyxl import load_workbook

    _, _, publish_dir = published
    workbook = next((publish_dir / "report").glob("bao-cao-report-*.xlsx"))
    book = load_workbook(workbook, read_only=True)
    headline = list(book.worksheets[0].iter_rows(values_only=True))
    by_code = {row[3]: row for row in headline if row and len(row) > 3 and row[3]}
    with duckdb.connect(str(publish_dir / SNAPSHOT_FILE), read_only=True) as con:
        expected = con.execute(
            """SELECT indicator, value, prior_value FROM kpi_yearly
               WHERE scope = 'province' AND year = (SELECT max(year) FROM kpi_yearly)"""
        ).fetchall()
    for indicator, value, prior in expected:
        assert by_code[indicator][5] == pytest.approx(value) and by_code[indicator][6] == pytest.approx(prior)
    assert {"Chỉ tiêu - Indicators", "Qua các năm - Over the years", "Cơ quan - Agencies"} <= set(book.sheetnames)


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


def test_parkpi_report_rewrites_the_report_from_the_snapshot_alone(sample_build: Build, tmp_path: Path) -> None:
    copy = sample_build.copy(tmp_path / "build")
    root, landing, publish_dir = copy.root, copy.landing, copy.publish_dir
    page = next((publish_dir / "report").glob("bao-cao-report-*.html"))
    page.unlink()
    (root / "warehouse" / "parkpi.duckdb").rename(root / "warehouse" / "moved.duckdb")  # not needed
    try:
        run = subprocess.run([sys.executable, "-m", "orchestration.cli", "report"], cwd=PROJECT_ROOT,
                             env=parkpi_env(root, landing), capture_output=True, text=True, timeout=120)  # fmt: skip
    finally:
        (root / "warehouse" / "moved.duckdb").rename(root / "warehouse" / "parkpi.duckdb")
    assert run.returncode == 0, run.stderr
    assert page.exists() and os.path.getsize(page) > 10_000 and str(page) in run.stdout
    empty = parkpi_env(tmp_path / "nothing", landing)
    missing = subprocess.run([sys.executable, "-m", "orchestration.cli", "report"], cwd=PROJECT_ROOT,
                             env=empty, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert missing.returncode == 2 and "no published snapshot" in missing.stderr


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
