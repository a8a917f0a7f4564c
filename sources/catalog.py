"""``catalog/`` — reference data: ``agencies.csv`` (the province's agencies and their
successions) and ``procedures.csv`` (administrative procedures and their service level over
time). Files are recognised by name. docs/landing-files.md describes the formats."""

from __future__ import annotations

from sources.contract import (
    CATALOG_HORIZON,
    EARLIEST_CATALOG_DATE,
    Entity,
    Field,
    RawRule,
    Source,
    between,
    not_before,
)

LEVELS = ("tinh", "huyen", "xa")

AGENCIES = Entity(
    name="agencies",
    formats=(".csv",),
    file_names=("agencies.csv",),
    fields=(
        Field("MaDonVi", required=True),
        Field("TenDonVi"),
        Field("Cap", allowed=LEVELS),
        Field("MaDonViCha"),
        Field("HieuLucTu", "date_iso", required=True),
        Field("HieuLucDen", "date_iso"),
        Field("MaDonViKeThua"),
    ),
)

PROCEDURES = Entity(
    name="procedures",
    formats=(".csv",),
    file_names=("procedures.csv",),
    fields=(
        Field("MaTTHC", required=True),
        Field("TenTTHC"),
        Field("MaLinhVuc"),
        Field("TenLinhVuc"),
        Field("CapThucHien", allowed=LEVELS),
        Field("MucDo", "int", required=True, allowed=(2, 3, 4)),
        Field("CoPhiLePhi", "int", allowed=(0, 1)),
        Field("HieuLucTu", "date_iso", required=True),
        Field("HieuLucDen", "date_iso"),
    ),
)


def _validity_rules(entity: Entity) -> tuple[RawRule, ...]:
    return (
        RawRule(
            name="dates_plausible",
            rule=f"HieuLucTu and HieuLucDen between {EARLIEST_CATALOG_DATE:%Y-%m-%d} and a year ahead",
            entity=entity.name,
            expectations=(
                between("HieuLucTu", EARLIEST_CATALOG_DATE, CATALOG_HORIZON),
                between("HieuLucDen", EARLIEST_CATALOG_DATE, CATALOG_HORIZON),
            ),
        ),
        RawRule(
            name="validity_period_ordered",
            rule="HieuLucDen (last day) is not earlier than HieuLucTu (first day)",
            entity=entity.name,
            expectations=(not_before("HieuLucDen", "HieuLucTu"),),
        ),
    )


CATALOG = Source(
    token="catalog",
    description="agency and procedure catalogues",
    entities=(AGENCIES, PROCEDURES),
    raw_rules=(*_validity_rules(AGENCIES), *_validity_rules(PROCEDURES)),
)
