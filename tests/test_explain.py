"""`parkpi explain` against the published snapshot of the bundled sample and of the session's
unseen build (tests/conftest.py `unseen_build`, shared with test_oracle: a landing folder
generated with another seed and scale, nobody writing this test looked at, with the oracle's
hand-written edge cases).

For both:
- every figure of kpi_periodic (every indicator, scope and period) is made of the rows
  explain lists: the rows' numerator and denominator (serving.explain.member_totals, the row
  selection of an explanation run for all periods at once) are the published components, and
  the components make the published value;
- explain itself (the Explainer) on every indicator at province scope for every whole year
  and quarter and every month and year to date of the latest year, and for every agency over
  the latest whole year: its value is the published one,
  numerator / denominator is the value, the rows it lists add up to them, and with --change
  the contributions add up to the published change;
- every row's landing file exists and its line holds the row (the dossier's code, the
  waybill, the agency, the procedure).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import duckdb
import pytest

from serving.explain import ROW_SPECS, Explainer, member_totals
from serving.periods import Period
from serving.snapshot import SNAPSHOT_FILE, publish_snapshot
from sources.settings import PROJECT_ROOT
from sources.warehouse import writer_lock
from tests.builds import Build, parkpi_env

INDICATORS = tuple(ROW_SPECS)


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


class Published:
    """A published snapshot and the landing folder it was built from."""

    def __init__(self, landing: Path, publish_dir: Path) -> None:
        self.landing = landing
        self.publish_dir = publish_dir
        self.snapshot = publish_dir / SNAPSHOT_FILE

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.snapshot), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def sample(sample_build: Build) -> Published:
    return Published(sample_build.landing, sample_build.publish_dir)


@pytest.fixture(scope="module")
def unseen(unseen_build, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """The session's unseen build (tests/conftest.py, shared with test_oracle), published from
    a copy of its warehouse: the shared one stays untouched."""
    work = tmp_path_factory.mktemp("explain_unseen")
    warehouse = work / "parkpi.duckdb"
    shutil.copy2(unseen_build.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        publish_snapshot(con, work / "published")
    return Published(unseen_build.landing, work / "published")


@pytest.fixture(params=["sample", "unseen"])
def published(request: pytest.FixtureRequest) -> Published:
    return request.getfixturevalue(request.param)


# --------------------------------------------------------------------------------------
# Every figure
# --------------------------------------------------------------------------------------


def test_every_figure_is_made_of_the_rows_explain_lists(published: Published) -> None:
    """For every kpi_periodic row: the components make the value, and the rows explain
    selects for that period and scope add up to the components."""
    figures = published.query(
        """SELECT f.period_type, f.year, f.period, f.scope_code, f.indicator, f.value, c.numerator, c.denominator
           FROM kpi_periodic AS f JOIN kpi_components AS c
             USING (period_type, year, period, scope, scope_code, indicator)"""
    )
    assert len(figures) == published.query("SELECT count(*) FROM kpi_periodic")[0][0]
    with duckdb.connect(str(published.snapshot), read_only=True) as con:
        totals = {(indicator, *row[:4]): row[4:] for indicator in INDICATORS for row in member_totals(con, indicator)}
    wrong = []
    for period_type, year, period, scope_code, indicator, value, numerator, denominator in figures:
        # the components make the value
        if denominator is None:
            made = value == numerator
        elif denominator == 0:
            made = value is None and numerator == 0
        else:
            made = close(value, numerator / denominator)
        # the rows make the components (no row at all: nothing counted)
        rows, _, row_numerator, row_denominator = totals.get(
            (indicator, period_type, year, period, scope_code), (0, 0, 0.0, None)
        )
        adds_up = close(row_numerator, numerator) and (
            denominator is None or close(row_denominator or 0.0, denominator)
        )
        if not (made and adds_up):
            wrong.append(
                (
                    period_type,
                    year,
                    period,
                    scope_code,
                    indicator,
                    value,
                    numerator,
                    denominator,
                    totals.get((indicator, period_type, year, period, scope_code)),
                )
            )
    assert wrong == [], f"{len(wrong)} of {len(figures)} figures, e.g. {wrong[:5]}"


def explained_keys(published: Published) -> list[tuple[str, Period, str]]:
    """Every indicator at province scope for every whole year and quarter and every month and
    year to date of the latest year, and for every agency over the latest whole year (every
    agency over every year was 4/5 of this test's time: about 26 ms an explanation). Every
    other figure is checked through member_totals above, the same row selection."""
    rows = published.query(
        """WITH latest AS (SELECT max(year) AS year FROM kpi_periodic WHERE period_type = 'ytd' AND period = 12)
           SELECT DISTINCT indicator, period_type, year, period, scope_code FROM kpi_periodic
           WHERE (period_type = 'ytd' AND period = 12 AND (scope = 'province' OR year = (SELECT year FROM latest)))
              OR (scope = 'province' AND (period_type = 'quarter' OR year = (SELECT max(year) FROM kpi_periodic)))
           ORDER BY ALL"""
    )
    return [(indicator, Period(pt, year, period), scope_code) for indicator, pt, year, period, scope_code in rows]


def test_explain_gives_the_published_figure_and_its_change(published: Published) -> None:
    keys = explained_keys(published)
    figures = {
        (indicator, Period(pt, year, period), scope_code): (value, change_abs)
        for indicator, pt, year, period, scope_code, value, change_abs in published.query(
            "SELECT indicator, period_type, year, period, scope_code, value, change_abs FROM kpi_periodic"
        )
    }
    wrong = []
    with Explainer(published.snapshot) as explainer:
        for indicator, period, scope_code in keys:
            e = explainer.explain(indicator, period, scope_code, change=scope_code == "ALL")
            value, change_abs = figures[(indicator, period, scope_code)]
            problems = list(e.mismatches)
            if e.value != value:
                problems.append(f"value {e.value} != published {value}")
            if e.denominator is not None:
                if e.denominator == 0 and e.value is not None:
                    problems.append("a value with a zero denominator")
                if e.denominator and not close(e.numerator / e.denominator, e.value):
                    problems.append(f"{e.numerator} / {e.denominator} != {e.value}")
            elif e.numerator != e.value:
                problems.append(f"a count whose numerator {e.numerator} is not its value {e.value}")
            if scope_code == "ALL" and change_abs is not None and ROW_SPECS[indicator].kind.agency is not None:
                if e.contributions is None or not close(sum(c for _, _, c in e.contributions), change_abs):
                    problems.append(f"contributions {e.contributions} do not add up to {change_abs}")
            if problems:
                wrong.append((indicator, period.slug, scope_code, problems))
    assert wrong == [], f"{len(wrong)} of {len(keys)} explanations, e.g. {wrong[:5]}"


# --------------------------------------------------------------------------------------
# Rows and their landing lines
# --------------------------------------------------------------------------------------


@cache
def landing_lines(path: Path) -> list[str]:
    """The lines of a landing file as text (line 1 first); a spreadsheet's rows as CSV lines."""
    if path.suffix == ".xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        lines = []
        for row in sheet.iter_rows(values_only=True):
            buffer = io.StringIO()
            csv.writer(buffer).writerow(["" if v is None else v for v in row])
            lines.append(buffer.getvalue().rstrip("\r\n"))
        return lines
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8-sig", errors="replace").splitlines()


def row_marker(indicator: str, key: str) -> str:
    """What the landing line of a row must hold: the dossier code (MaHoSo, in a JSON Lines or
    CSV export), the waybill, the reporting agency's code, the procedure code."""
    if ROW_SPECS[indicator].kind.key.startswith("r.agency_code"):
        return key.split(" ")[0]  # the reporting agency code of "<code> <yyyy-mm>"
    return key


def test_every_row_is_traced_to_a_landing_line(published: Published) -> None:
    """All the rows of every indicator over the last whole year (and its last month): each
    row's sources exist in the landing folder and each line holds the row."""
    year = published.query("SELECT max(year) FROM kpi_periodic WHERE period_type = 'ytd' AND period = 12")[0][0]
    checked, wrong = 0, []
    with Explainer(published.snapshot) as explainer:
        for indicator in INDICATORS:
            for period in (Period("ytd", year, 12), Period("month", year, 12)):
                try:
                    e = explainer.explain(indicator, period)
                except ValueError:
                    continue  # no figure for that month
                rows = explainer.rows(e)
                assert len(rows) == e.row_count and sum(1 for r in rows if r[1]) == e.numerator_rows
                for key, _, _, _, sources in rows:
                    assert sources, f"{indicator} {key}: no source"
                    for source in sources:
                        path = published.landing / source["file"]
                        lines = landing_lines(path) if path.exists() else []
                        line = source["line"]
                        if not 1 <= line <= len(lines) or row_marker(indicator, key) not in lines[line - 1]:
                            wrong.append((indicator, key, source))
                        checked += 1
    assert checked > 1000 and wrong == [], (checked, wrong[:5])


def test_a_snapshot_without_grouped_lineage_lists_the_same_rows(sample: Published, tmp_path: Path) -> None:
    """A snapshot published before kpi_dossier_lineage existed: the dossiers' lines are grouped
    from kpi_dossier_sources instead, the same rows with the same sources in the same order."""
    older = tmp_path / SNAPSHOT_FILE
    shutil.copy2(sample.snapshot, older)
    older.chmod(0o644)
    with duckdb.connect(str(older)) as con:
        con.execute("DROP TABLE kpi_dossier_lineage")
    year = sample.query("SELECT max(year) FROM kpi_yearly")[0][0]
    with Explainer(sample.snapshot) as grouped, Explainer(older) as ungrouped:
        for indicator, period in (
            ("on_time_rate", Period("ytd", year, 12)),
            ("dossiers_received", Period("month", year, 12)),
        ):
            rows = grouped.rows(grouped.explain(indicator, period))
            assert len(rows) > 10 and all(sources for *_, sources in rows)
            assert ungrouped.rows(ungrouped.explain(indicator, period)) == rows


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


def explain_command(sample_build: Build, *args: str) -> subprocess.CompletedProcess:
    return sample_build.parkpi("explain", *args)


def test_json_is_one_object_with_every_row(sample_build: Build, sample: Published) -> None:
    year = sample.query("SELECT max(year) FROM kpi_yearly")[0][0]
    run = explain_command(sample_build, "on_time_rate", str(year), "--json", "--change")
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert list(document) == [
        "indicator", "period", "scope", "scope_code", "value", "numerator", "denominator", "rows", "contributions",
    ]  # fmt: skip
    value, change_abs = sample.query(
        "SELECT value, change_abs FROM kpi_yearly WHERE year = ? AND scope = 'province' AND indicator = 'on_time_rate'",
        [year],
    )[0]
    assert document["value"] == value and document["period"] == str(year) and document["scope_code"] == "ALL"
    assert document["numerator"] / document["denominator"] == pytest.approx(value, rel=1e-12)
    rows = document["rows"]
    assert len(rows) == document["denominator"] and sum(r["in_numerator"] for r in rows) == document["numerator"]
    assert all(set(r) == {"key", "in_numerator", "sources"} and r["sources"] for r in rows)
    assert all(set(s) == {"file", "line"} for r in rows for s in r["sources"])
    assert sum(c["contribution"] for c in document["contributions"]) == pytest.approx(change_abs, abs=1e-12)

    limited = json.loads(explain_command(sample_build, "on_time_rate", str(year), "--json", "--limit", "3").stdout)
    assert len(limited["rows"]) == 3 and "contributions" not in limited
    assert [r["in_numerator"] for r in limited["rows"]] == [False, False, False]  # the late ones first


def test_text_names_the_figure_and_the_lines(sample_build: Build, sample: Published) -> None:
    agency = sample.query(
        """SELECT scope_code FROM kpi_periodic WHERE scope = 'agency' AND period_type = 'quarter'
           AND indicator = 'online_submission_rate' AND value > 0 ORDER BY year DESC, scope_code LIMIT 1"""
    )[0][0]
    year = sample.query("SELECT max(year) FROM kpi_yearly")[0][0]
    run = explain_command(sample_build, "online_submission_rate", f"{year}-Q2", "--scope", agency, "--limit", "5")
    assert run.returncode == 0, run.stderr
    assert "Tỷ lệ hồ sơ nộp trực tuyến" in run.stdout and "= numerator" in run.stdout
    assert f"agency {agency}" in run.stdout and ".jsonl" in run.stdout and "kpi.duckdb" in run.stdout
    spec = ROW_SPECS["online_submission_rate"]
    assert f"{spec.numerator_en} / {spec.numerator_vi}" in run.stdout
    assert f"{spec.denominator_en} / {spec.denominator_vi}" in run.stdout


def test_every_indicator_says_what_it_counts_in_both_languages() -> None:
    for code, spec in ROW_SPECS.items():
        assert spec.numerator_en and spec.numerator_vi, code
        assert bool(spec.denominator_en) == bool(spec.denominator_vi), code


def test_catalogue_change_is_not_attributed(sample_build: Build, sample: Published) -> None:
    year = sample.query("SELECT max(year) FROM kpi_yearly")[0][0]
    run = explain_command(sample_build, "online_services_level3", str(year), "--change", "--json", "--limit", "0")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["contributions"] is None
    assert "not defined for the catalogue indicators" in run.stderr


@pytest.mark.parametrize(
    ("args", "english"),
    [
        (("no_such_indicator", "2017"), "unknown indicator"),
        (("on_time_rate", "1999"), "no figure for on_time_rate in 1999"),
        (("on_time_rate", "2017-Q5"), "quarter 5 does not exist"),
        (("on_time_rate", "last year"), "cannot read the period"),
        (("on_time_rate", "2017", "--scope", "NOT.AN.AGENCY"), "not in the agency list"),
        (("online_services_level4", "2017", "--scope", "MERGED"), "has no agency figures"),
        (("on_time_rate", "2017", "--scope", "MERGED"), "is not in today's structure: it is reported under"),
    ],
)
def test_bad_arguments_get_one_line_in_both_languages_and_exit_2(
    sample_build: Build, sample: Published, args: tuple[str, ...], english: str
) -> None:
    merged = sample.query("SELECT min(agency_code) FROM dim_agencies WHERE agency_code <> current_agency_code")[0][0]
    run = explain_command(sample_build, *[merged if a == "MERGED" else a for a in args])
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and english in lines[0] and " / " in lines[0], run.stderr
    vietnamese = lines[0].split(" / ", 1)[1]
    assert any(ch in vietnamese for ch in "ơưđăâêôạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"), vietnamese


def test_explain_reads_the_snapshot_even_while_the_warehouse_is_locked(sample_build: Build, tmp_path: Path) -> None:
    """A run holding the warehouse (DuckDB's single writer and parkpi's writer lock) does not
    stop explain: it never opens the warehouse. (A copy of the warehouse: the shared build
    stays untouched.)"""
    warehouse = tmp_path / "warehouse" / "parkpi.duckdb"
    warehouse.parent.mkdir()
    shutil.copy2(sample_build.warehouse, warehouse)
    env = parkpi_env(tmp_path, sample_build.landing) | {"PARKPI_PUBLISH_DIR": str(sample_build.publish_dir)}
    with writer_lock(warehouse), duckdb.connect(str(warehouse)):
        run = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "explain", "dossiers_received", "2017", "--limit", "1"],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "dossiers_received" in run.stdout


# --------------------------------------------------------------------------------------
# The BI queries of docs/serving.md
# --------------------------------------------------------------------------------------


def drill_through_queries() -> list[str]:
    text = (PROJECT_ROOT / "docs" / "serving.md").read_text(encoding="utf-8")
    section = text.split("## Drill-through: what a figure is made of", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def test_documented_drill_through_queries_agree_with_explain(sample: Published) -> None:
    queries = drill_through_queries()
    assert len(queries) == 5
    by_quarter, on_time_rows, contributions, overdue, sources = (sample.query(q) for q in queries)
    year = sample.query("SELECT max(year) FROM kpi_yearly")[0][0]
    with Explainer(sample.snapshot) as explainer:
        on_time = explainer.explain("on_time_rate", Period("ytd", year, 12), change=True)
        overdue_figure = explainer.explain("overdue_open_at_year_end", Period("ytd", year, 12))
        listed = explainer.rows(on_time)
    assert by_quarter and all(
        close(value, numerator / denominator) for _, _, value, numerator, denominator in by_quarter
    )
    assert [(code, in_numerator) for code, _, in_numerator, _, _ in on_time_rows] == [(r[0], r[1]) for r in listed]
    assert len(on_time_rows) == on_time.denominator and on_time.numerator == sum(r[2] for r in on_time_rows)
    assert {code: c for code, _, c, _ in contributions} == {code: c for code, _, c in on_time.contributions}
    assert close(sum(c for _, _, c, _ in contributions), on_time.change_abs)
    assert len(overdue) == overdue_figure.value and len({r[1] for r in overdue}) == len(overdue)
    assert all(days >= 0 for *_, days in overdue)
    assert sources and all((sample.landing / file).exists() for *_, file, _ in sources)
