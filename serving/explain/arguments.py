"""What ``parkpi explain`` accepts: the indicator and the scope, checked against the published
snapshot; a question it cannot answer raises ``ExplainError`` (one line in English and
Vietnamese, exit code 2 in the command)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import duckdb

PROVINCE = "ALL"

T = TypeVar("T")


class ExplainError(ValueError):
    """A question explain cannot answer (bad indicator, scope or period): English and Vietnamese."""

    def __init__(self, en: str, vi: str) -> None:
        super().__init__(f"{en} / {vi}")
        self.en = en
        self.vi = vi


def check_indicator(indicators: Mapping[str, T], code: str) -> T:
    """The published indicator `code`; raises for an unknown one, listing those there are."""
    if code not in indicators:
        codes = ", ".join(indicators)
        raise ExplainError(
            f"unknown indicator {code!r}; one of: {codes}", f"không có chỉ tiêu {code!r}; chỉ nhận: {codes}"
        )
    return indicators[code]


def check_scope(con: duckdb.DuckDBPyConnection, indicator_code: str, scope_code: str, *, has_agencies: bool) -> str:
    """'province' or 'agency' for scope_code; raises for an agency not in today's structure, or
    for any agency when the indicator has no agency figures (`has_agencies` false: the catalogue)."""
    if scope_code.upper() == PROVINCE:
        return "province"
    if not has_agencies:
        raise ExplainError(
            f"{indicator_code} describes the province's catalogue: it has no agency figures (use --scope ALL)",
            f"{indicator_code} là chỉ tiêu của danh mục cấp tỉnh, không có số liệu theo đơn vị (dùng --scope ALL)",
        )
    # the agencies the published figures are reported under are today's structure
    if con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM kpi_periodic WHERE scope = 'agency' AND scope_code = ? LIMIT 1)",
        [scope_code],
    ).fetchone()[0]:
        return "agency"
    row = con.execute(
        "SELECT current_agency_code, current_agency_name FROM dim_agencies WHERE agency_code = ?", [scope_code]
    ).fetchone()
    if row is None:
        raise ExplainError(
            f"agency {scope_code!r} is not in the agency list (catalog/agencies.csv)",
            f"đơn vị {scope_code!r} không có trong danh mục đơn vị (catalog/agencies.csv)",
        )
    if row[0] != scope_code:
        raise ExplainError(
            f"agency {scope_code!r} is not in today's structure: it is reported under {row[0]} ({row[1]})",
            f"đơn vị {scope_code!r} không còn trong cơ cấu hiện nay: số liệu tính cho {row[0]} ({row[1]})",
        )
    return "agency"
