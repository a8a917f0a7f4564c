"""What is checked, per asset. One mechanism runs them all (:mod:`quality.runner`);
each source supplies only its expectations.

Raw tables get the contract's rules (columns present, required values present, codes in their
sets) derived from :mod:`sources.contracts`, plus the source's own patterns, plausible
ranges and orderings. Ingest already rejects rows breaking the contract's row rules, so on raw
these blocking checks guard against a changed loader or a hand-edited warehouse; the warning
checks catch what ingest lets through on purpose (kpi-decisions 1). Rules that need several
rows (a dossier's received and finished times, reconciliation between sources, the KPI table's
shape) run on the dbt marts, after the contract's dedupe rules are applied.

Severity: a check is blocking when a failure would make the published KPIs wrong; patterns,
plausibility and reconciliation shares warn (docs/quality.md lists them all).
"""

from __future__ import annotations

from quality.checks import (
    ACTIVE_NOT_ABOVE_ISSUED,
    CATALOG_HORIZON,
    CODES_IN_SETS,
    COLUMNS_PRESENT,
    COUNTS_NOT_NEGATIVE,
    DATES_PLAUSIBLE,
    DELIVERED_NOT_BEFORE_ACCEPTED,
    DOSSIER_CODE_PATTERN,
    DUE_HORIZON,
    DUE_NOT_BEFORE_RECEIVED,
    EARLIEST_CATALOG_DATE,
    EARLIEST_EVENT,
    EARLIEST_REPORT_MONTH,
    FINISHED_NOT_BEFORE_RECEIVED,
    INDICATORS_COMPLETE,
    MAILBOX_ACTIVE_RATE_BETWEEN_0_AND_1,
    MIN_POSTAL_RESULTS_WITH_SHIPMENT,
    MIN_RESULT_SHIPMENTS_MATCHED,
    NO_MISSING_YEAR,
    NOW,
    ONE_ROW_PER_KEY,
    POSTAGE_NOT_NEGATIVE,
    POSTAL_RESULTS_HAVE_SHIPMENT,
    RATIOS_BETWEEN_0_AND_1,
    REQUIRED_VALUES_PRESENT,
    RESULT_SHIPMENTS_MATCH_DOSSIER,
    THIS_MONTH,
    VALIDITY_PERIOD_ORDERED,
    WAYBILL_PATTERN,
    Check,
    Expect,
    Suite,
    expect,
    parameter,
)
from sources.contracts import CATALOG, LINEAGE_COLUMNS, MAILBOX, PORTAL, POSTAL, Entity, Source

# The contract's example `000.20.33.H33-170312-00042`: agency code, yymmdd, sequence number.
DOSSIER_CODE_REGEX = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[0-9]{6}-[0-9]{4,6}$"
# Two capital letters, nine digits, VN (docs/landing-files.md, postal).
WAYBILL_REGEX = r"^[A-Z]{2}[0-9]{9}VN$"

RAW_KEY_COLUMNS = ("_source_file", "_source_line")

# Ratio indicators of docs/indicators.md (dim_indicators.unit = 'ratio'; a test keeps the two
# in step). mailbox_active_rate may exceed 1 as reported (kpi-decisions 20): warned separately.
RATIO_INDICATORS = (
    "online_submission_rate",
    "postal_submission_rate",
    "on_time_rate",
    "online_services_used_rate",
    "online_payment_rate",
    "postal_return_rate",
    "postal_delivery_success_rate",
    "mailbox_active_rate",
)
RATIOS_THAT_MAY_EXCEED_1 = ("mailbox_active_rate",)


# -- the contract's rules, for any raw entity ------------------------------------------------------


def contract_checks(entity: Entity) -> list[Check]:
    columns = [f.name for f in entity.fields] + [name for name, _ in LINEAGE_COLUMNS]
    checks = [
        Check(
            name=COLUMNS_PRESENT,
            blocking=True,
            rule="every column of the contract (and the lineage columns) is in the raw table",
            expectations=(expect("ExpectTableColumnsToMatchSet", column_set=columns, exact_match=False),),
        ),
        Check(
            name=REQUIRED_VALUES_PRESENT,
            blocking=True,
            rule="required fields of the contract are never empty: " + ", ".join(entity.required),
            expectations=tuple(expect("ExpectColumnValuesToNotBeNull", column=name) for name in entity.required),
        ),
    ]
    coded = [f for f in entity.fields if f.allowed is not None]
    if coded:
        checks.append(
            Check(
                name=CODES_IN_SETS,
                blocking=True,
                rule="coded fields hold only their listed values: " + ", ".join(f.name for f in coded),
                expectations=tuple(
                    expect("ExpectColumnValuesToBeInSet", column=f.name, value_set=list(f.allowed)) for f in coded
                ),
            )
        )
    return checks


def between(column: str, low: object, high: object) -> Expect:
    return expect("ExpectColumnValuesToBeBetween", column=column, min_value=low, max_value=high)


def not_before(later: str, earlier: str) -> Expect:
    """``later`` >= ``earlier`` wherever both are known."""
    return expect(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


def raw_suite(source: Source, entity: Entity, *checks: Check) -> Suite:
    return Suite(
        asset=(source.token, f"raw_{entity.name}"),
        table=(source.schema, entity.name),
        key_columns=RAW_KEY_COLUMNS,
        checks=(*contract_checks(entity), *checks),
        description=f"raw {source.description} ({source.schema}.{entity.name})",
    )


# -- raw sources -----------------------------------------------------------------------------------

PORTAL_EVENTS = raw_suite(
    PORTAL,
    PORTAL.entities[0],
    Check(
        name=DOSSIER_CODE_PATTERN,
        blocking=False,
        rule=f"MaHoSo looks like a dossier code ({DOSSIER_CODE_REGEX})",
        expectations=(expect("ExpectColumnValuesToMatchRegex", column="MaHoSo", regex=DOSSIER_CODE_REGEX),),
    ),
    Check(
        name=DATES_PLAUSIBLE,
        blocking=False,
        rule=f"ThoiDiem between {EARLIEST_EVENT:%Y-%m-%d} and now; NgayHenTra at most a year ahead",
        expectations=(
            between("ThoiDiem", EARLIEST_EVENT, parameter(NOW)),
            between("NgayHenTra", EARLIEST_EVENT, parameter(DUE_HORIZON)),
        ),
    ),
)

POSTAL_SHIPMENTS = raw_suite(
    POSTAL,
    POSTAL.entities[0],
    Check(
        name=WAYBILL_PATTERN,
        blocking=False,
        rule=f"Mã bưu gửi is a waybill number ({WAYBILL_REGEX})",
        expectations=(expect("ExpectColumnValuesToMatchRegex", column="Mã bưu gửi", regex=WAYBILL_REGEX),),
    ),
    Check(
        name=DOSSIER_CODE_PATTERN,
        blocking=False,
        rule=f"Mã hồ sơ, when given, looks like a dossier code ({DOSSIER_CODE_REGEX})",
        expectations=(expect("ExpectColumnValuesToMatchRegex", column="Mã hồ sơ", regex=DOSSIER_CODE_REGEX),),
    ),
    Check(
        name=DATES_PLAUSIBLE,
        blocking=False,
        rule=f"Ngày chấp nhận and Ngày phát between {EARLIEST_EVENT:%Y-%m-%d} and now",
        expectations=(
            between("Ngày chấp nhận", EARLIEST_EVENT, parameter(NOW)),
            between("Ngày phát", EARLIEST_EVENT, parameter(NOW)),
        ),
    ),
    Check(
        name=DELIVERED_NOT_BEFORE_ACCEPTED,
        blocking=False,
        rule="Ngày phát is not earlier than Ngày chấp nhận",
        expectations=(not_before("Ngày phát", "Ngày chấp nhận"),),
    ),
    Check(
        name=POSTAGE_NOT_NEGATIVE,
        blocking=False,
        rule="Cước (VNĐ) is not negative",
        expectations=(expect("ExpectColumnValuesToBeBetween", column="Cước (VNĐ)", min_value=0),),
    ),
)

_MAILBOX_COUNTS = ("Tổng số hộp thư đã cấp", "Số hộp thư đang sử dụng", "Cấp mới trong kỳ", "Thu hồi trong kỳ")

MAILBOX_REPORTS = raw_suite(
    MAILBOX,
    MAILBOX.entities[0],
    # A negative raw count may be superseded by a correction file (the sample has one), so
    # here it warns; after the corrections, in marts.fct_mailbox_positions, it blocks.
    Check(
        name=COUNTS_NOT_NEGATIVE,
        blocking=False,
        rule="mailbox counts are not negative: " + ", ".join(_MAILBOX_COUNTS),
        expectations=tuple(
            expect("ExpectColumnValuesToBeBetween", column=name, min_value=0) for name in _MAILBOX_COUNTS
        ),
    ),
    Check(
        name=ACTIVE_NOT_ABOVE_ISSUED,
        blocking=False,
        rule="Số hộp thư đang sử dụng (active) is at most Tổng số hộp thư đã cấp (issued)",
        expectations=(not_before("Tổng số hộp thư đã cấp", "Số hộp thư đang sử dụng"),),
    ),
    Check(
        name=DATES_PLAUSIBLE,
        blocking=False,
        rule=f"Kỳ báo cáo between {EARLIEST_REPORT_MONTH:%m/%Y} and the current month",
        expectations=(between("Kỳ báo cáo", EARLIEST_REPORT_MONTH, parameter(THIS_MONTH)),),
    ),
)


def catalog_suite(entity: Entity) -> Suite:
    return raw_suite(
        CATALOG,
        entity,
        Check(
            name=DATES_PLAUSIBLE,
            blocking=False,
            rule=f"HieuLucTu and HieuLucDen between {EARLIEST_CATALOG_DATE:%Y-%m-%d} and a year ahead",
            expectations=(
                between("HieuLucTu", EARLIEST_CATALOG_DATE, parameter(CATALOG_HORIZON)),
                between("HieuLucDen", EARLIEST_CATALOG_DATE, parameter(CATALOG_HORIZON)),
            ),
        ),
        Check(
            name=VALIDITY_PERIOD_ORDERED,
            blocking=False,
            rule="HieuLucDen (last day) is not earlier than HieuLucTu (first day)",
            expectations=(not_before("HieuLucDen", "HieuLucTu"),),
        ),
    )


CATALOG_AGENCIES = catalog_suite(CATALOG.entities[0])
CATALOG_PROCEDURES = catalog_suite(CATALOG.entities[1])

# -- marts: rules over deduplicated, per-dossier facts, and reconciliation -------------------------

DOSSIERS = Suite(
    asset=("marts", "fct_dossiers"),
    table=("marts", "fct_dossiers"),
    key_columns=("dossier_code",),
    description="dossier facts (marts.fct_dossiers)",
    checks=(
        Check(
            name=FINISHED_NOT_BEFORE_RECEIVED,
            blocking=False,
            rule="a dossier is not finished before it was received (kpi-decisions 7 still averages it)",
            expectations=(not_before("finished_at", "received_at"),),
        ),
        Check(
            name=DUE_NOT_BEFORE_RECEIVED,
            blocking=False,
            rule="a dossier's appointed return date is not before it was received",
            expectations=(not_before("due_at", "received_at"),),
        ),
        Check(
            name=POSTAL_RESULTS_HAVE_SHIPMENT,
            blocking=False,
            rule=(
                "finished dossiers whose result goes by post have a `Chuyển trả kết quả` shipment, "
                f"for at least {MIN_POSTAL_RESULTS_WITH_SHIPMENT:.0%} of them"
            ),
            query="""
                select
                    dossiers.dossier_code,
                    dossiers.finished_at,
                    exists (
                        select 1
                        from marts.fct_postal_shipments as shipments
                        where shipments.dossier_code = dossiers.dossier_code and shipments.is_result_return
                    ) as has_result_shipment
                from marts.fct_dossiers as dossiers
                where dossiers.result_by_post and dossiers.finished_at is not null
            """,
            key_columns=("dossier_code", "finished_at"),
            expectations=(
                expect(
                    "ExpectColumnValuesToBeInSet",
                    column="has_result_shipment",
                    value_set=[True],
                    mostly=MIN_POSTAL_RESULTS_WITH_SHIPMENT,
                ),
            ),
        ),
    ),
)

POSTAL_SHIPMENT_FACTS = Suite(
    asset=("marts", "fct_postal_shipments"),
    table=("marts", "fct_postal_shipments"),
    key_columns=("waybill_code", "dossier_code"),
    description="postal shipments after precedence (marts.fct_postal_shipments)",
    checks=(
        Check(
            name=RESULT_SHIPMENTS_MATCH_DOSSIER,
            blocking=False,
            rule=(
                "`Chuyển trả kết quả` shipments name a dossier of the portal log, "
                f"for at least {MIN_RESULT_SHIPMENTS_MATCHED:.0%} of them"
            ),
            expectations=(
                expect(
                    "ExpectColumnValuesToBeInSet",
                    column="is_matched_dossier",
                    value_set=[True],
                    mostly=MIN_RESULT_SHIPMENTS_MATCHED,
                    where=("is_result_return", "==", True),
                ),
            ),
        ),
    ),
)

_MAILBOX_POSITION_COUNTS = ("mailboxes_issued_total", "mailboxes_active", "mailboxes_new", "mailboxes_revoked")

MAILBOX_POSITIONS = Suite(
    asset=("marts", "fct_mailbox_positions"),
    table=("marts", "fct_mailbox_positions"),
    key_columns=("agency_code", "report_month", "source_file", "source_line"),
    description="mailbox reports after corrections (marts.fct_mailbox_positions)",
    checks=(
        Check(
            name=COUNTS_NOT_NEGATIVE,
            blocking=True,
            rule="mailbox counts after corrections are not negative: " + ", ".join(_MAILBOX_POSITION_COUNTS),
            expectations=tuple(
                expect("ExpectColumnValuesToBeBetween", column=name, min_value=0) for name in _MAILBOX_POSITION_COUNTS
            ),
        ),
    ),
)

# -- the published KPI table ----------------------------------------------------------------------

_KPI_KEY = ("year", "scope", "scope_code", "indicator")

# For every (year, scope, scope code) with data of a source, each indicator of that source; the
# catalogue indicators every year at province scope and never at agency scope (docs/indicators.md,
# "Which years have a figure" and "Scopes"). Duplicates are one_row_per_key's business.
_INDICATORS_COMPLETE_SQL = """
with
kpi as (
    select year, scope, scope_code, indicator from {batch}
),
groups_present as (
    select distinct kpi.year, kpi.scope, kpi.scope_code, indicators.indicator_group
    from kpi
    inner join marts.dim_indicators as indicators on kpi.indicator = indicators.indicator
    where indicators.indicator_group <> 'catalog'
),
expected as (
    select groups_present.year, groups_present.scope, groups_present.scope_code, indicators.indicator
    from groups_present
    inner join marts.dim_indicators as indicators on groups_present.indicator_group = indicators.indicator_group
    union
    select years.year, 'province' as scope, 'ALL' as scope_code, indicators.indicator
    from (select distinct year from kpi) as years
    cross join marts.dim_indicators as indicators
    where indicators.indicator_group = 'catalog'
),
actual as (
    select year, scope, scope_code, indicator, count(*) as row_count
    from kpi
    group by year, scope, scope_code, indicator
)
select
    coalesce(expected.year, actual.year) as year,
    coalesce(expected.scope, actual.scope) as scope,
    coalesce(expected.scope_code, actual.scope_code) as scope_code,
    coalesce(expected.indicator, actual.indicator) as indicator,
    coalesce(actual.row_count, 0) as row_count,
    expected.indicator is not null as expected
from expected
full outer join actual
    on expected.year = actual.year
    and expected.scope = actual.scope
    and expected.scope_code = actual.scope_code
    and expected.indicator = actual.indicator
where expected.indicator is null or actual.indicator is null
order by 1, 2, 3, 4
"""

# Per indicator at province scope, every year between its first and its last.
_NO_MISSING_YEAR_SQL = """
with
province as (
    select year, indicator from {batch} where scope = 'province'
),
spans as (
    select indicator, min(year) as first_year, max(year) as last_year
    from province
    group by indicator
),
expected as (
    select indicator, unnest(generate_series(first_year, last_year)) as year
    from spans
)
select expected.indicator, expected.year
from expected
where not exists (
    select 1 from province
    where province.indicator = expected.indicator and province.year = expected.year
)
order by 1, 2
"""

KPI_YEARLY = Suite(
    asset=("kpi", "kpi_yearly"),
    table=("kpi", "kpi_yearly"),
    key_columns=_KPI_KEY,
    description="the published KPI table (kpi.kpi_yearly)",
    checks=(
        Check(
            name=RATIOS_BETWEEN_0_AND_1,
            blocking=True,
            rule="ratio indicators lie between 0 and 1 (mailbox_active_rate: see the next check)",
            expectations=(
                expect(
                    "ExpectColumnValuesToBeBetween",
                    column="value",
                    min_value=0,
                    max_value=1,
                    where=("indicator", "in", [i for i in RATIO_INDICATORS if i not in RATIOS_THAT_MAY_EXCEED_1]),
                ),
            ),
        ),
        Check(
            name=MAILBOX_ACTIVE_RATE_BETWEEN_0_AND_1,
            blocking=False,
            rule="mailbox_active_rate lies between 0 and 1 (reports may say otherwise, kpi-decisions 20)",
            expectations=(
                expect(
                    "ExpectColumnValuesToBeBetween",
                    column="value",
                    min_value=0,
                    max_value=1,
                    where=("indicator", "in", list(RATIOS_THAT_MAY_EXCEED_1)),
                ),
            ),
        ),
        Check(
            name=ONE_ROW_PER_KEY,
            blocking=True,
            rule="one row per (year, scope, scope_code, indicator)",
            expectations=(expect("ExpectCompoundColumnsToBeUnique", column_list=list(_KPI_KEY)),),
        ),
        Check(
            name=INDICATORS_COMPLETE,
            blocking=True,
            rule=(
                "every indicator of a source is there for each year and scope where that source has data; "
                "catalogue indicators every year at province scope only"
            ),
            expectations=(expect("UnexpectedRowsExpectation", unexpected_rows_query=_INDICATORS_COMPLETE_SQL),),
        ),
        Check(
            name=NO_MISSING_YEAR,
            blocking=True,
            rule="no year is missing between an indicator's first and last year (province scope)",
            expectations=(expect("UnexpectedRowsExpectation", unexpected_rows_query=_NO_MISSING_YEAR_SQL),),
        ),
    ),
)

RAW_SUITES: tuple[Suite, ...] = (PORTAL_EVENTS, POSTAL_SHIPMENTS, MAILBOX_REPORTS, CATALOG_AGENCIES, CATALOG_PROCEDURES)
MART_SUITES: tuple[Suite, ...] = (DOSSIERS, POSTAL_SHIPMENT_FACTS, MAILBOX_POSITIONS, KPI_YEARLY)
SUITES: tuple[Suite, ...] = RAW_SUITES + MART_SUITES
