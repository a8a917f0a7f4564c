"""catalog/targets.csv: loaded by the same loader as every source, each broken row rejected with
its reason in English and Vietnamese, nothing else affected; validated again when the agencies
it names change; checked by `parkpi check-file` against the landing folder's agencies."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from sources.catalog import CATALOG
from sources.loading import load_source
from sources.loading.checkfile import check_file
from sources.loading.reasons import render_all
from sources.settings import SAMPLE_LANDING_DIR

HEADER = "Nam,MaChiTieu,PhamVi,GiaTri,GhiChu\n"
GOOD = [
    "2020,on_time_rate,ALL,95%,KH 123/KH-UBND",
    '2020,on_time_rate,ALL,"92,5",corrected',  # the same key again: the later valid line wins (dbt)
    "2020,mailboxes_issued,ALL,11.000,",
    '2020,avg_processing_days,000.00.21.H33,"7,5",',
    "2019,online_services_level3,ALL,500,",
]
BAD = {
    "2020,online_services_level3,000.00.21.H33,500,": "PhamVi: '000.00.21.H33' is not allowed for online_services",
    "2020,on_time_rate,000.00.19.H33,90,": "PhamVi: '000.00.19.H33' was merged into 000.00.21.H33",
    "2020,on_time_rate,000.99.99.H33,90,": "PhamVi: '000.99.99.H33' is neither ALL nor an agency",
    "2020,khong_co,ALL,90,": "MaChiTieu: 'khong_co' is not an indicator code",
    "2020,on_time_rate,ALL,120%,": "GiaTri: '120%' is not a percentage from 0 to 100",
    "2020,mailboxes_issued,ALL,-5,": "GiaTri: '-5' is negative",
    "2020,mailboxes_issued,ALL,10%,": "GiaTri: '10%' has a % sign, but mailboxes_issued is not a ratio",
    "20x0,on_time_rate,ALL,80,": "Nam: '20x0' is not a year (yyyy)",
    "2020,on_time_rate,ALL,1.5,": "GiaTri: '1.5' is not a number written the Vietnamese way",
    "2020,on_time_rate,ALL,,": "GiaTri: required value missing",
}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    shutil.copytree(SAMPLE_LANDING_DIR / "catalog", root / "catalog", ignore=shutil.ignore_patterns("targets.csv"))
    (root / "catalog" / "targets.csv").write_text(HEADER + "\n".join(GOOD + list(BAD)) + "\n", encoding="utf-8")
    return root


def test_bad_targets_are_rejected_with_reasons_and_nothing_else_is_affected(landing: Path) -> None:
    with duckdb.connect() as con:
        result = load_source(con, CATALOG, landing)
        assert result.table_rows["targets"] == len(GOOD)
        assert con.execute('SELECT "GiaTri" FROM raw_catalog.targets ORDER BY _source_line').fetchall() == [
            (95.0,),
            (92.5,),
            (11000.0,),
            (7.5,),
            (500.0,),
        ]
        rejects = con.execute(
            "SELECT _source_line, reason, reasons FROM raw_catalog.rejects WHERE entity = 'targets' ORDER BY 1"
        ).fetchall()
        assert [line for line, _, _ in rejects] == list(range(len(GOOD) + 2, len(GOOD) + len(BAD) + 2))
        for (_, reason, reasons), expected in zip(rejects, BAD.values(), strict=True):
            assert reason.startswith(expected), reason
            assert render_all(reasons, "vi") and render_all(reasons, "vi") != reason
        # the agencies and procedures are exactly those of the sample
        assert con.execute("SELECT count(*) FROM raw_catalog.rejects WHERE entity <> 'targets'").fetchone() == (0,)
        assert result.table_rows["agencies"] == 69 and result.table_rows["procedures"] == 3655


def test_targets_are_validated_again_when_agencies_change(landing: Path) -> None:
    with duckdb.connect() as con:
        load_source(con, CATALOG, landing)
        # 000.00.21.H33 is merged into a new agency: its target no longer names today's structure
        agencies = landing / "catalog" / "agencies.csv"
        text = agencies.read_text(encoding="utf-8").replace(
            "tinh,000.00.00.H33,2019-07-01,,",
            "tinh,000.00.00.H33,2019-07-01,2024-12-31,000.00.22.H33\n"
            "000.00.22.H33,Ban mới,tinh,000.00.00.H33,2025-01-01,,",
        )
        assert text != agencies.read_text(encoding="utf-8")
        agencies.write_text(text, encoding="utf-8")
        result = load_source(con, CATALOG, landing)
        assert "catalog/targets.csv" in result.files_reloaded
        # the agency's good target and its catalogue-indicator target (already rejected) both say so
        assert con.execute(
            """SELECT count(*) FROM raw_catalog.rejects
               WHERE entity = 'targets' AND reason LIKE 'PhamVi: ''000.00.21.H33'' was merged into 000.00.22.H33%'"""
        ).fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM raw_catalog.targets").fetchone() == (len(GOOD) - 1,)


def test_check_file_reads_the_agencies_beside_it_or_in_the_landing_folder(landing: Path, tmp_path: Path) -> None:
    checked = check_file(landing / "catalog" / "targets.csv", "catalog")
    assert checked.rows_ok == len(GOOD) and len(checked.rejects) == len(BAD)
    alone = tmp_path / "downloads" / "targets.csv"
    alone.parent.mkdir()
    shutil.copyfile(landing / "catalog" / "targets.csv", alone)
    assert len(check_file(alone, "catalog", landing_dir=landing).rejects) == len(BAD)
    # without any agencies, every agency scope is unknown
    assert len(check_file(alone, "catalog").rejects) == len(BAD) + 1
