"""Marts: rules over deduplicated, per-dossier facts, and reconciliation between sources (they
need several rows or several tables, so they run after the contract's dedupe rules)."""

from __future__ import annotations

from quality.checks import (
    COUNTS_NOT_NEGATIVE,
    DUE_NOT_BEFORE_RECEIVED,
    FINISHED_NOT_BEFORE_RECEIVED,
    MIN_POSTAL_RESULTS_WITH_SHIPMENT,
    MIN_RESULT_SHIPMENTS_MATCHED,
    POSTAL_RESULTS_HAVE_SHIPMENT,
    RESULT_SHIPMENTS_MATCH_DOSSIER,
    Check,
    Suite,
    expect,
)
from quality.suites.raw import as_expect
from sources.contract import not_before as _not_before


def not_before(later: str, earlier: str):
    """``later`` >= ``earlier`` wherever both are known."""
    return as_expect(_not_before(later, earlier))


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

MART_SUITES: tuple[Suite, ...] = (DOSSIERS, POSTAL_SHIPMENT_FACTS, MAILBOX_POSITIONS)
