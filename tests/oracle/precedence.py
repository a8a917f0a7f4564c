"""The contract's dedupe and precedence rules (sources.md), applied to raw rows.

"Path order" is the plain byte-wise sort of the UTF-8 path relative to the landing root,
which is what `_source_file` holds; "the last line" is the highest `_source_line` of a file.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from tests.oracle.raw import Row

IN_TRANSIT = "Đang vận chuyển"


def file_and_line(row: Row) -> tuple[bytes, int]:
    """Position of a row in the contract's reading order: path order, then line."""
    return (str(row["_source_file"]).encode("utf-8"), int(row["_source_line"]))


def last_wins(rows: Iterable[Row], key: Callable[[Row], Hashable], rank: Callable[[Row], tuple] = file_and_line):
    """One row per key: the one with the highest rank (by default the last in path order,
    then the last line)."""
    winners: dict[Hashable, Row] = {}
    for row in sorted(rows, key=rank):
        winners[key(row)] = row
    return winners


def portal_events(rows: Iterable[Row]) -> list[Row]:
    """The same event (`MaHoSo`, `TrangThaiHoSo`, `ThoiDiem`) counts once; the copy from the
    file last in path order wins, within a file the last line."""
    return list(last_wins(rows, lambda r: (r["MaHoSo"], r["TrangThaiHoSo"], r["ThoiDiem"])).values())


def postal_shipments(rows: Iterable[Row]) -> list[Row]:
    """Per waybill: a final status beats `Đang vận chuyển`; among equals the file last in
    path order wins, then the last line."""
    return list(
        last_wins(
            rows,
            lambda r: r["Mã bưu gửi"],
            rank=lambda r: (r["Trạng thái"] != IN_TRANSIT, *file_and_line(r)),
        ).values()
    )


def mailbox_reports(rows: Iterable[Row]) -> list[Row]:
    """Per (agency code, reporting month): the file last in path order wins (a correction),
    within one file the last line."""
    return list(last_wins(rows, lambda r: (r["Mã đơn vị"], r["Kỳ báo cáo"])).values())


def agencies(rows: Iterable[Row]) -> dict[str, Row]:
    """Agencies keyed by `MaDonVi`, last in path order / line wins (kpi-decisions 5)."""
    return last_wins(rows, lambda r: r["MaDonVi"])


def procedures(rows: Iterable[Row]) -> list[Row]:
    """Procedure periods keyed by (`MaTTHC`, `HieuLucTu`), last wins (kpi-decisions 5)."""
    return list(last_wins(rows, lambda r: (r["MaTTHC"], r["HieuLucTu"])).values())


def targets(rows: Iterable[Row]) -> list[Row]:
    """Per (`Nam`, `MaChiTieu`, `PhamVi`) the last line that passed the contract wins."""
    return list(last_wins(rows, lambda r: (r["Nam"], r["MaChiTieu"], r["PhamVi"])).values())


def successor_resolver(agency_rows: dict[str, Row]) -> Callable[[str], str]:
    """Today's structure: follow `MaDonViKeThua` until an agency without one (kpis.md,
    Scopes). A code absent from the catalogue stays as it is; a cycle stops at the first
    repeated code (kpi-decisions 16)."""
    successor = {code: row["MaDonViKeThua"] for code, row in agency_rows.items() if row["MaDonViKeThua"]}
    cache: dict[str, str] = {}

    def resolve(code: str) -> str:
        if code not in cache:
            seen = [code]
            current = code
            while current in successor:
                current = successor[current]
                if current in seen:
                    break
                seen.append(current)
            cache[code] = current
        return cache[code]

    return resolve
