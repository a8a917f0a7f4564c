"""The landing-file formats of ``docs/landing-files.md``, as data.

Each source supplies only this description; one reading/rejecting mechanism
(:mod:`sources.loader`) serves all of them. Field names stay exactly as the data owners
write them: renaming to English happens in dbt staging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# How a field is parsed. Every kind maps to one SQL parse expression in sources.loader.
Kind = Literal[
    "text",  # trimmed string
    "int",  # whole number, digits only (JSON numbers arrive as digits too)
    "int_thousands",  # whole number that may use "." as thousands separator ("25.000")
    "ts_compact",  # yyyyMMddHHmmss
    "ts_vn",  # dd/mm/yyyy HH:MM
    "month_vn",  # MM/yyyy, stored as the first day of the month
    "date_iso",  # yyyy-mm-dd
]

SQL_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "int": "INTEGER",
    "int_thousands": "BIGINT",
    "ts_compact": "TIMESTAMP",
    "ts_vn": "TIMESTAMP",
    "month_vn": "DATE",
    "date_iso": "DATE",
}

FORMAT_HINTS: dict[str, str] = {
    "int": "a whole number",
    "int_thousands": 'a whole number ("." allowed as thousands separator)',
    "ts_compact": "yyyyMMddHHmmss",
    "ts_vn": "dd/mm/yyyy HH:MM",
    "month_vn": "MM/yyyy",
    "date_iso": "yyyy-mm-dd",
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind = "text"
    required: bool = False
    allowed: tuple[object, ...] | None = None  # the listed code values, if the field is coded

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Entity:
    """One kind of landing file of a source and the raw table it loads into."""

    name: str  # raw table name, e.g. "events"
    fields: tuple[Field, ...]
    formats: tuple[str, ...]  # accepted file name endings, e.g. (".jsonl", ".csv.gz")
    file_names: tuple[str, ...] | None = None  # catalogue files are recognised by name

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def matches(self, relative_path: str) -> bool:
        base = relative_path.rsplit("/", 1)[-1]
        if self.file_names is not None:
            return base in self.file_names
        return base.lower().endswith(self.formats)


@dataclass(frozen=True)
class Source:
    token: str  # portal | postal | mailbox | catalog
    entities: tuple[Entity, ...]
    description: str = ""
    extra_tables: tuple[str, ...] = field(default_factory=tuple)
    # the timestamp whose month partitions the source (Dagster month partitions); None: not partitioned
    period_field: str | None = None

    @property
    def schema(self) -> str:
        return f"raw_{self.token}"


PORTAL = Source(
    token="portal",
    description="service-portal dossier event log",
    period_field="ThoiDiem",
    entities=(
        Entity(
            name="events",
            formats=(".jsonl", ".jsonl.gz", ".csv", ".csv.gz"),
            fields=(
                Field("MaHoSo", required=True),
                Field("MaTTHC", required=True),
                Field("MaDonVi", required=True),
                Field("KenhThucHien", "int", required=True, allowed=(1, 2, 3)),
                Field("MucDo", "int", allowed=(2, 3, 4)),
                Field("TrangThaiHoSo", "int", required=True, allowed=tuple(range(1, 11))),
                Field("ThoiDiem", "ts_compact", required=True),
                Field("NgayHenTra", "ts_compact"),
                Field("HinhThucTra", "int", allowed=(0, 1, 2)),
                Field("DuocThanhToanTrucTuyen", "int", allowed=(0, 1, 2)),
                Field("LoaiDoiTuong", "int", allowed=(1, 2, 3, 4)),
            ),
        ),
    ),
)

POSTAL_SERVICES = ("Chuyển phát hồ sơ", "Chuyển trả kết quả")
POSTAL_STATUSES = ("Phát thành công", "Phát không thành công", "Chuyển hoàn", "Đang vận chuyển")

POSTAL = Source(
    token="postal",
    description="public postal service shipments",
    entities=(
        Entity(
            name="shipments",
            formats=(".csv", ".xlsx"),
            fields=(
                Field("Mã bưu gửi", required=True),
                Field("Mã hồ sơ"),
                Field("Loại dịch vụ", required=True, allowed=POSTAL_SERVICES),
                Field("Mã đơn vị", required=True),
                Field("Ngày chấp nhận", "ts_vn", required=True),
                Field("Ngày phát", "ts_vn"),
                Field("Trạng thái", required=True, allowed=POSTAL_STATUSES),
                Field("Cước (VNĐ)", "int_thousands"),
            ),
        ),
    ),
)

MAILBOX = Source(
    token="mailbox",
    description="official e-mail mailbox counts",
    entities=(
        Entity(
            name="reports",
            formats=(".csv", ".xlsx"),
            fields=(
                Field("Mã đơn vị", required=True),
                Field("Tên đơn vị"),
                Field("Kỳ báo cáo", "month_vn", required=True),
                Field("Tổng số hộp thư đã cấp", "int_thousands", required=True),
                Field("Số hộp thư đang sử dụng", "int_thousands", required=True),
                Field("Cấp mới trong kỳ", "int_thousands", required=True),
                Field("Thu hồi trong kỳ", "int_thousands", required=True),
            ),
        ),
    ),
)

CATALOG = Source(
    token="catalog",
    description="agency and procedure catalogues",
    entities=(
        Entity(
            name="agencies",
            formats=(".csv",),
            file_names=("agencies.csv",),
            fields=(
                Field("MaDonVi", required=True),
                Field("TenDonVi"),
                Field("Cap", allowed=("tinh", "huyen", "xa")),
                Field("MaDonViCha"),
                Field("HieuLucTu", "date_iso", required=True),
                Field("HieuLucDen", "date_iso"),
                Field("MaDonViKeThua"),
            ),
        ),
        Entity(
            name="procedures",
            formats=(".csv",),
            file_names=("procedures.csv",),
            fields=(
                Field("MaTTHC", required=True),
                Field("TenTTHC"),
                Field("MaLinhVuc"),
                Field("TenLinhVuc"),
                Field("CapThucHien", allowed=("tinh", "huyen", "xa")),
                Field("MucDo", "int", required=True, allowed=(2, 3, 4)),
                Field("CoPhiLePhi", "int", allowed=(0, 1)),
                Field("HieuLucTu", "date_iso", required=True),
                Field("HieuLucDen", "date_iso"),
            ),
        ),
    ),
)

SOURCES: dict[str, Source] = {s.token: s for s in (PORTAL, POSTAL, MAILBOX, CATALOG)}

LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),
    ("_source_line", "BIGINT"),
    ("_load_id", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
)
