"""Raw ingestion: the validation shortcut (a clean row is validated by one SQL test instead of
the contract's parse of each value) gives exactly the contract's parse, and clean files take it.
Readers and reject reasons are in tests/test_loader.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.catalog import CATALOG
from sources.loading import ensure_raw_schema, load_source, validation
from sources.loading.readers import jsonl
from sources.loading.reasons import REASON_TYPE
from sources.mailbox import MAILBOX
from sources.portal import PORTAL
from sources.postal import POSTAL
from tests.conftest import (
    event,
    rows,
    write_jsonl,
)

TRICKY_VALUES = [
    None, "", " ", "0", "1", "2", "3", "4", "9", "10", "11", "01", " 1", "1 ", "+1", "-1", "1.0", "1e1", "1_0",
    "\u00a01", "1\u00a0", "\u30001", "\t1", "1\n", "١", "20170102080000", " 20170102080000", "20170102080000 ",
    "2017010208000", "201701020800000", "20171302080000", "2017-01-02", "2017-1-2", "25.000", "1.234.567", "-5",
    "01/2017", "1/2017", "13/2017", "02/01/2016 08:00", "2/1/2016 8:00", "Chuyển trả kết quả",
    " Chuyển trả kết quả", "Phát thành công", "A", "Đ", "x ", "\u3000x", "x\u3000", "a\u0301", "-", "'", "~",
    "2016-01-01", "000.00.20.H33", "80%", "92,5%", "7,5", "1.500,5", "1.5", "120%", "-0,5", "2020", "20x0",
    "on_time_rate", "mailboxes_issued", "online_services_level3", "ALL", "000.00.19.H33",
]  # fmt: skip


VALID_TEXT = {
    "text": "A",
    "int": "1",
    "int_thousands": "25.000",
    "ts_compact": "20170102080000",
    "ts_vn": "02/01/2016 08:00",
    "month_vn": "01/2017",
    "date_iso": "2016-01-01",
    "number_vn": "1.500,5",
    "year": "2020",
}


# values that pass the row rules of targets.csv (an indicator code, a scope)
VALID_BY_NAME = {"MaChiTieu": "on_time_rate", "PhamVi": "ALL", "GiaTri": "80"}


def validated(con, entity, values: list[str | None], source=None) -> list[tuple]:
    """Every field of ``entity`` given every value (one row per field and value, the other
    fields valid), through the loader's validation SQL."""
    names = [f.name for f in entity.fields]
    valid = [str(f.allowed[0]) if f.allowed else VALID_BY_NAME.get(f.name, VALID_TEXT[f.kind]) for f in entity.fields]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE staged ("
        + ", ".join(f'"{n}" VARCHAR' for n in names)
        + f", _file VARCHAR, _line BIGINT, _raw VARCHAR, _pre_reason {REASON_TYPE.removesuffix('[]')})"
    )
    staged = []
    for index in range(len(names)):
        for value in values:
            row: list[object] = list(valid)
            row[index] = value
            staged.append((*row, "f", len(staged) + 1, "raw", None))
    con.executemany(f"INSERT INTO staged VALUES ({', '.join('?' for _ in range(len(names) + 4))})", staged)
    if source is not None:
        ensure_raw_schema(con, source)  # row rules may look up other raw tables
    for statement in entity.prepare:
        con.execute(statement)
    sql = validation.validated_sql(entity, "SELECT * FROM staged")
    return con.execute(f"SELECT * FROM ({sql}) ORDER BY _line").fetchall()


@pytest.mark.parametrize("source", [PORTAL, POSTAL, MAILBOX, CATALOG], ids=lambda s: s.token)
def test_validation_shortcut_gives_exactly_the_contract_parse(con, monkeypatch, source) -> None:
    """Plainly valid values skip trim and the reason strings; for any value, the typed result
    and the reason must be exactly those of the full contract parse (shortcut switched off)."""
    for entity in source.entities:
        values = TRICKY_VALUES + [str(v) for f in entity.fields for v in f.allowed or ()]
        fast = validated(con, entity, values, source)
        with monkeypatch.context() as patched:
            patched.setattr(validation, "quick_expressions", lambda e: [("NULL", "false") for _ in e.fields])
            full = validated(con, entity, values, source)
        assert fast == full
        assert any(row[-1] is None for row in full) and any(row[-1] for row in full)  # both kinds seen


def test_valid_rows_of_generated_exports_take_the_shortcut(con, landing: Path) -> None:
    """The shortcut is what makes big loads fast: a typical event must pass it, untrimmed."""
    write_jsonl(landing / "portal/a.jsonl", [event("000.00.20.H33-170102-00001", MucDo=3, NgayHenTra="20170110170000")])
    entity = PORTAL.entities[0]
    staged = (
        "SELECT *, 'f' AS _file, 1 AS _line, NULL::VARCHAR AS _raw, NULL AS _pre_reason "
        "FROM read_json(?, columns = ?, format = 'newline_delimited')"
    )
    sql = validation.validated_sql(entity, staged).replace("SELECT _p_0 AS", "SELECT _quick, _p_0 AS", 1)
    columns = {f.name: "VARCHAR" for f in entity.fields}
    [row] = con.execute(sql, [str(landing / "portal/a.jsonl"), columns]).fetchall()
    assert row[0] is True and row[-1] is None


def test_many_clean_files_are_read_in_several_statements_with_true_lines(con, landing: Path, monkeypatch) -> None:
    monkeypatch.setattr(jsonl, "FILES_PER_SCAN", 2)
    for name in "abcde":
        write_jsonl(landing / f"portal/{name}.jsonl.gz", [event(f"{name}{i}") for i in range(3)], compress=True)
    write_jsonl(landing / "portal/f.jsonl", [event("f0"), "", event("f2", KenhThucHien=9)])
    result = load_source(con, PORTAL, landing)
    assert (result.rows_loaded, result.rows_rejected) == (16, 1)
    got = rows(con, "SELECT _source_file, _source_line, MaHoSo FROM raw_portal.events ORDER BY ALL")
    assert got == [(f"portal/{n}.jsonl.gz", i + 1, f"{n}{i}") for n in "abcde" for i in range(3)] + [
        ("portal/f.jsonl", 1, "f0")
    ]
    assert rows(con, "SELECT _source_file, _source_line FROM raw_portal.rejects") == [("portal/f.jsonl", 3)]
