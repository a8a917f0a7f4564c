"""The run summary's KPI table stays readable with a long history."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib.summary import SUMMARY_YEARS, kpi_rows
from sources.settings import get_settings


def test_the_kpi_table_shows_the_last_years_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "parkpi.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA kpi")
        con.execute(
            "CREATE TABLE marts.dim_indicators AS SELECT 'dossiers_received' AS indicator, 'count' AS unit, "
            "1 AS display_order"
        )
        con.execute(
            "CREATE TABLE kpi.kpi_yearly AS SELECT year::INTEGER AS year, 'province' AS scope, "
            "'dossiers_received' AS indicator, year * 10.0 AS value, 10.0 AS change_abs, NULL AS trend "
            "FROM range(2016, 2050) AS t(year)"
        )
    monkeypatch.setenv("PARKPI_WAREHOUSE", str(warehouse))
    headers, rows = kpi_rows(get_settings())
    shown = [str(year) for year in range(2050 - SUMMARY_YEARS, 2050)]
    assert headers == ["indicator (province)", *shown, "change 2049", "trend"]
    assert rows == [["dossiers_received", *(f"{int(y) * 10:,}" for y in shown), "+10", ""]]
