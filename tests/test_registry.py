"""The registry is the only list of sources: a toy fifth source, declared in one module-like
object and registered with one line, is discovered, loaded with rejects, given a Dagster asset
a raw quality suite and a line in `parkpi status`, and checked by `parkpi check-file`, with nothing
else changed."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from sources import registry
from sources.contract import EARLIEST_REPORT_MONTH, Entity, Field, Freshness, RawRule, Source, between
from tests.conftest import write_csv

TOY = Source(
    token="budget",
    description="toy budget reports",
    entities=(
        Entity(
            name="lines",
            formats=(".csv",),
            marker="MaKhoanChi",
            fields=(
                Field("MaKhoanChi", required=True),
                Field("Thang", "month_vn", required=True),
                Field("SoTien", "int_thousands", required=True),
                Field("Loai", allowed=("thuong_xuyen", "dau_tu")),
            ),
        ),
    ),
    freshness=Freshness("lines", "Thang", max_age_days=62),
    raw_rules=(RawRule("dates_plausible", "Thang is plausible", "lines", (between("Thang", EARLIEST_REPORT_MONTH),)),),
)
HEADER = ["MaKhoanChi", "Thang", "SoTien", "Loai"]


@pytest.fixture
def toy_registered(monkeypatch: pytest.MonkeyPatch) -> Source:
    monkeypatch.setitem(registry.SOURCES, TOY.token, TOY)  # the one registry line
    return TOY


def write_toy(landing: Path) -> Path:
    return write_csv(
        landing / "budget/2020/bao_cao.csv",
        HEADER,
        [["K1", "01/2020", "1.500.000", "dau_tu"], ["K2", "13/2020", "7", "x"], ["K3", "02/2020", "12", ""]],
    )


def test_a_toy_source_loads_through_the_ingest_asset(toy_registered, settings_env: Path, landing: Path) -> None:
    from orchestration.defs.ingest import build_ingest_asset
    from orchestration.lib.resources import WarehouseResource
    from sources.warehouse import connect

    write_toy(landing)
    warehouse = settings_env / "warehouse" / "parkpi.duckdb"
    result = dg.materialize(
        [build_ingest_asset(toy_registered)], resources={"warehouse": WarehouseResource(path=str(warehouse))}
    )
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == dg.AssetKey(["budget", "raw_lines"])
    assert event.materialization.metadata["rows_loaded_this_run"].value == 2
    with connect(warehouse, read_only=True) as con:
        assert con.execute('SELECT "MaKhoanChi", "SoTien" FROM raw_budget.lines ORDER BY 1').fetchall() == [
            ("K1", 1500000),
            ("K3", 12),
        ]
        [(line, reason)] = con.execute("SELECT _source_line, reason FROM raw_budget.rejects").fetchall()
        from orchestration.lib.status import warehouse_lines

        lines, _ = warehouse_lines(con)
    rows = "\n".join(lines).splitlines()
    assert any(row.split()[:4] == ["budget", "1", "2", "1"] for row in rows), rows
    assert line == 3 and reason == "Thang: '13/2020' is not MM/yyyy; Loai: 'x' is not one of thuong_xuyen, dau_tu"


def test_a_toy_source_gets_a_raw_suite_and_status_and_check_file(
    toy_registered, settings_env: Path, landing: Path, capsys: pytest.CaptureFixture
) -> None:
    from orchestration.cli import main
    from quality.suites.raw import raw_suite

    suite = raw_suite(toy_registered, toy_registered.entities[0])
    assert suite.name == "budget.raw_lines"
    assert {c.name for c in suite.checks} == {
        "columns_present",
        "required_values_present",
        "codes_in_sets",
        "dates_plausible",
    }

    outside = write_toy(landing.parent / "downloads")  # not under a budget/ folder: found by its marker
    assert main(["check-file", str(outside)]) == 1
    out = capsys.readouterr().out
    assert "(budget): 2 rows pass" in out and "1 row fails" in out
    assert "Thang: '13/2020' không phải tháng dạng MM/yyyy" in out
