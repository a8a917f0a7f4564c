"""A tiny in-memory warehouse on which every quality suite passes, for tests/test_quality_checks.py
and tests/test_data_docs.py: clean raw rows (raw tables from sources.warehouse), the marts and KPI
tables by hand with the columns the checks read, and the "now" of every validation."""

from __future__ import annotations

import datetime as dt

import duckdb

from sources.loading import ensure_all_raw_schemas
from sources.warehouse import quote

NOW = dt.datetime(2026, 6, 15, 12, 0)  # "now" of every validation here
LINEAGE = {"_source_file": "x/file.csv", "_source_line": 2, "_load_id": 1, "_loaded_at": "2026-01-01 00:00:00"}

CLEAN_RAW = {
    ("raw_portal", "events"): [
        {
            "MaHoSo": "000.00.09.H33-170102-00001",
            "MaTTHC": "1.000001",
            "MaDonVi": "000.00.09.H33",
            "KenhThucHien": 2,
            "MucDo": 3,
            "TrangThaiHoSo": 2,
            "ThoiDiem": "2017-01-02 08:00:00",
            "NgayHenTra": "2017-01-10 17:00:00",
            "HinhThucTra": 1,
            "DuocThanhToanTrucTuyen": 0,
            "LoaiDoiTuong": 1,
        },
        {
            "MaHoSo": "000.00.09.H33-170102-00001",
            "MaTTHC": "1.000001",
            "MaDonVi": "000.00.09.H33",
            "KenhThucHien": 2,
            "MucDo": 3,
            "TrangThaiHoSo": 9,
            "ThoiDiem": "2017-01-09 10:00:00",
            "NgayHenTra": "2017-01-10 17:00:00",
            "HinhThucTra": 1,
            "DuocThanhToanTrucTuyen": 2,
            "LoaiDoiTuong": 1,
        },
    ],
    ("raw_postal", "shipments"): [
        {
            "Mã bưu gửi": "EB123456789VN",
            "Mã hồ sơ": "000.00.09.H33-170102-00001",
            "Loại dịch vụ": "Chuyển trả kết quả",
            "Mã đơn vị": "000.00.09.H33",
            "Ngày chấp nhận": "2017-01-11 08:00:00",
            "Ngày phát": "2017-01-12 09:00:00",
            "Trạng thái": "Phát thành công",
            "Cước (VNĐ)": 25000,
        },
    ],
    ("raw_mailbox", "reports"): [
        {
            "Mã đơn vị": "000.00.09.H33",
            "Tên đơn vị": "Sở Nội vụ",
            "Kỳ báo cáo": "2017-01-01",
            "Tổng số hộp thư đã cấp": 100,
            "Số hộp thư đang sử dụng": 80,
            "Cấp mới trong kỳ": 2,
            "Thu hồi trong kỳ": 1,
        },
    ],
    ("raw_catalog", "agencies"): [
        {
            "MaDonVi": "000.00.09.H33",
            "TenDonVi": "Sở Nội vụ",
            "Cap": "tinh",
            "MaDonViCha": "000.00.00.H33",
            "HieuLucTu": "2010-01-01",
            "HieuLucDen": None,
            "MaDonViKeThua": None,
        },
    ],
    ("raw_catalog", "targets"): [
        {"Nam": 2020, "MaChiTieu": "on_time_rate", "PhamVi": "ALL", "GiaTri": 90.0, "GhiChu": "Kế hoạch 05/KH-UBND"},
    ],
    ("raw_catalog", "procedures"): [
        {
            "MaTTHC": "1.000001",
            "TenTTHC": "Thủ tục",
            "MaLinhVuc": "F1",
            "TenLinhVuc": "Lĩnh vực",
            "CapThucHien": "tinh",
            "MucDo": 3,
            "CoPhiLePhi": 1,
            "HieuLucTu": "2015-01-01",
            "HieuLucDen": None,
        },
    ],
}

# The marts and KPI tables, reduced to the columns the checks read.
MART_TABLES = """
create schema marts;
create schema kpi;
create table marts.fct_dossiers as
    select 'D' || i as dossier_code,
           timestamp '2020-03-02 08:00:00' as received_at,
           timestamp '2020-03-09 08:00:00' as finished_at,
           timestamp '2020-03-12 17:00:00' as due_at,
           true as result_by_post
    from range(10) as t(i);
create table marts.fct_postal_shipments as
    select 'EB00000000' || i || 'VN' as waybill_code, 'D' || i as dossier_code,
           true as is_result_return, true as is_matched_dossier
    from range(10) as t(i)
    union all
    -- a dossier delivery matching no dossier: not a result shipment, so it does not count
    select 'EB000000010VN', 'X1', false, false;
create table marts.fct_mailbox_positions as
    select '000.00.09.H33' as agency_code, date '2020-01-01' as report_month,
           'mailbox/a.csv' as source_file, 2 as source_line,
           100 as mailboxes_issued_total, 80 as mailboxes_active, 2 as mailboxes_new, 1 as mailboxes_revoked;
create table marts.dim_indicators (indicator varchar, unit varchar, indicator_group varchar);
insert into marts.dim_indicators values
    ('dossiers_received', 'count', 'portal'), ('on_time_rate', 'ratio', 'portal'),
    ('postal_result_shipments', 'count', 'postal'), ('mailboxes_issued', 'count', 'mailbox'),
    ('mailbox_active_rate', 'ratio', 'mailbox'), ('online_services_level3', 'count', 'catalog');
create table kpi.kpi_yearly as
    select year::integer as year, 'province' as scope, 'ALL' as scope_code, indicator,
           case when unit = 'ratio' then 0.5 else 10 end::double as value
    from marts.dim_indicators, range(2018, 2021) as t(year)
    union all
    select 2020, 'agency', 'A1', indicator, case when unit = 'ratio' then 0.5 else 10 end
    from marts.dim_indicators where indicator_group = 'portal';
"""


def build_warehouse(path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path)
    ensure_all_raw_schemas(con)
    for (schema, table), rows in CLEAN_RAW.items():
        for row in rows:
            values = {**row, **LINEAGE}
            columns = ", ".join(quote(c) for c in values)
            con.execute(
                f"INSERT INTO {schema}.{table} ({columns}) VALUES ({', '.join('?' for _ in values)})",
                list(values.values()),
            )
    con.execute(MART_TABLES)
    return con
