"""``catalog/`` — reference data: ``agencies.csv`` (the province's agencies and their
successions), ``procedures.csv`` (administrative procedures and their service level over time)
and, optionally, ``targets.csv`` (the annual plan's targets). Files are recognised by name.
docs/landing-files.md describes the formats."""

from __future__ import annotations

from sources import indicators
from sources.contract import (
    CATALOG_HORIZON,
    EARLIEST_CATALOG_DATE,
    Entity,
    Field,
    RawRule,
    RowRule,
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


def _listed(codes: tuple[str, ...]) -> str:
    return ", ".join("'" + code + "'" for code in codes)


KNOWN = _listed(indicators.codes())
RATIOS = _listed(indicators.codes(unit="ratio"))
PROVINCE_ONLY = _listed(indicators.codes(group="catalog"))  # catalogue indicators have no agency
AGENCY_SCOPE = """{PhamVi} <> 'ALL'"""

# The plan's targets (optional file): one row per year, indicator and scope. A target names an
# indicator of the KPI list and a scope of today's structure; its number is written the
# Vietnamese way, a ratio's as a percentage (docs/landing-files.md, kpi-decisions).
TARGETS = Entity(
    name="targets",
    formats=(".csv",),
    file_names=("targets.csv",),
    fields=(
        Field("Nam", "year", required=True),
        Field("MaChiTieu", required=True),
        Field("PhamVi", required=True),
        Field("GiaTri", "number_vn", required=True),
        Field("GhiChu"),
    ),
    depends_on=("agencies",),
    prepare=(
        # each merged agency's successor in today's structure, following MaDonViKeThua
        """CREATE OR REPLACE TEMP TABLE _today_successor AS
           WITH RECURSIVE chain(code, successor, depth) AS (
               SELECT "MaDonVi", "MaDonViKeThua", 1 FROM raw_catalog.agencies WHERE "MaDonViKeThua" IS NOT NULL
               UNION ALL
               SELECT chain.code, agencies."MaDonViKeThua", chain.depth + 1
               FROM chain
               JOIN raw_catalog.agencies AS agencies ON agencies."MaDonVi" = chain.successor
               WHERE agencies."MaDonViKeThua" IS NOT NULL AND chain.depth < 100
           )
           SELECT code, arg_max(successor, depth) AS successor FROM chain GROUP BY code""",
    ),
    row_rules=(
        RowRule("MaChiTieu", "unknown_indicator", f"{{MaChiTieu}} NOT IN ({KNOWN})"),
        RowRule(
            "PhamVi",
            "merged_agency",
            f"{AGENCY_SCOPE} AND {{PhamVi}} IN (SELECT code FROM _today_successor)",
            detail="(SELECT successor FROM _today_successor WHERE code = {PhamVi})",
        ),
        RowRule(
            "PhamVi",
            "unknown_agency",
            f'{AGENCY_SCOPE} AND {{PhamVi}} NOT IN (SELECT "MaDonVi" FROM raw_catalog.agencies)',
        ),
        RowRule("PhamVi", "province_only", f"{AGENCY_SCOPE} AND {{MaChiTieu}} IN ({PROVINCE_ONLY})", "{MaChiTieu}"),
        RowRule(
            "GiaTri",
            "percentage_out_of_range",
            f"{{MaChiTieu}} IN ({RATIOS}) AND NOT {{GiaTri}} BETWEEN 0 AND 100",
            "{MaChiTieu}",
        ),
        RowRule(
            "GiaTri",
            "negative_target",
            f"{{MaChiTieu}} IN ({KNOWN}) AND {{MaChiTieu}} NOT IN ({RATIOS}) AND {{GiaTri}} < 0",
            "{MaChiTieu}",
        ),
        RowRule(
            "GiaTri",
            "percent_sign_not_allowed",
            f"{{MaChiTieu}} IN ({KNOWN}) AND {{MaChiTieu}} NOT IN ({RATIOS}) AND contains({{text.GiaTri}}, '%')",
            "{MaChiTieu}",
        ),
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
    description="agency and procedure catalogues, plan targets",
    entities=(AGENCIES, PROCEDURES, TARGETS),
    raw_rules=(
        *_validity_rules(AGENCIES),
        *_validity_rules(PROCEDURES),
        RawRule(
            name="dates_plausible",
            rule="Nam (the plan's year) between 2010 and 2050",
            entity="targets",
            expectations=(between("Nam", 2010, 2050),),
        ),
    ),
)
