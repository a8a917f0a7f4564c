"""Hostile and broken input (issue 7), property-based: generated portal rows, some breaking one
rule of the contract each, are each loaded exactly or rejected with a reason naming the field
they break. The corpus of bad files, hostile names and links is in tests/test_hostile.py.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources.loading import load_source
from sources.portal import PORTAL

# Values that break one rule of the contract each, by field: the row must be a reject naming
# that field. (Required fields may also be missing altogether.)
BREAKING = {
    "KenhThucHien": st.sampled_from(["0", "4", "x", "2.5", "-1", "٣"]),
    "TrangThaiHoSo": st.sampled_from(["0", "11", "two", "1e1"]),
    "ThoiDiem": st.sampled_from(["2017-01-02", "20171332080000", "20170230080000", "2017010208000", "abc"]),
    "NgayHenTra": st.sampled_from(["soon", "20171301000000", "201701"]),
    "MucDo": st.sampled_from(["1", "5", "ba"]),
    "HinhThucTra": st.sampled_from(["3", "-", "1.0"]),
}
REQUIRED = ["MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "ThoiDiem"]
free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s != "")


@st.composite
def portal_record(draw) -> tuple[dict, str | None]:
    """(record, field it breaks or None)."""
    record = {
        "MaHoSo": draw(free_text),
        "MaTTHC": draw(st.sampled_from(["1.004227", "2.000001"])),
        "MaDonVi": draw(free_text),
        "KenhThucHien": draw(st.sampled_from([1, 2, 3, "1", "3"])),
        "TrangThaiHoSo": draw(st.integers(1, 10)),
        "ThoiDiem": draw(st.sampled_from(["20170102080000", "20191231235959", "20200229120000"])),
    }
    if draw(st.booleans()):
        record["HinhThucTra"] = draw(st.sampled_from([0, 1, 2]))
    broken = draw(st.sampled_from([None, None, "missing", *BREAKING]))
    if broken == "missing":
        broken = draw(st.sampled_from(REQUIRED))
        record[broken] = draw(st.sampled_from(["", "   ", None]))
        if record[broken] is None:
            del record[broken]
    elif broken is not None:
        record[broken] = draw(BREAKING[broken])
    return record, broken


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(portal_record(), min_size=1, max_size=25), junk_lines=st.lists(st.integers(0, 30), max_size=3))
def test_every_generated_portal_row_is_loaded_exactly_or_rejected_with_its_reason(
    tmp_path_factory: pytest.TempPathFactory, records: list[tuple[dict, str | None]], junk_lines: list[int]
) -> None:
    landing = tmp_path_factory.mktemp("prop")
    lines: list[str] = [json.dumps(record, ensure_ascii=False) for record, _ in records]
    expected: dict[int, tuple[dict, str | None]] = {}
    for position in sorted(set(junk_lines), reverse=True):  # lines that are no JSON object at all
        lines.insert(min(position, len(lines)), "{not json")
    number = 0
    record_iter = iter(records)
    for index, line in enumerate(lines, start=1):
        if line == "{not json":
            expected[index] = ({}, "line")
        else:
            expected[index] = next(record_iter)
            number += 1
    (landing / "portal").mkdir()
    (landing / "portal" / "generated.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with duckdb.connect() as con:
        result = load_source(con, PORTAL, landing)
        loaded = {
            row[0]: row[1:]
            for row in con.execute(
                "SELECT _source_line, MaHoSo, MaDonVi, KenhThucHien, TrangThaiHoSo FROM raw_portal.events"
            ).fetchall()
        }
        rejected = dict(con.execute("SELECT _source_line, reason FROM raw_portal.rejects").fetchall())
    assert not set(loaded) & set(rejected), "a line both loaded and rejected"
    assert set(loaded) | set(rejected) == set(expected), "a line neither loaded nor rejected"
    assert result.rows_loaded + result.rows_rejected == len(lines)
    for line, (record, broken) in expected.items():
        if broken is None:
            assert line in loaded, (record, rejected.get(line))
            assert loaded[line] == (
                record["MaHoSo"],
                record["MaDonVi"],
                int(record["KenhThucHien"]),
                int(record["TrangThaiHoSo"]),
            )
        else:
            assert line in rejected, (record, broken)
            reason = rejected[line]
            assert reason and (broken == "line" and "JSON" in reason or f"{broken}:" in reason), (reason, broken)
