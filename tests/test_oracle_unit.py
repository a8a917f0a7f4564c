"""The oracle itself, on the hand-written edge-case folder (tests/oracle/edge_cases.py), against
figures worked out by hand from the contract — no warehouse, milliseconds.

The comments give the arithmetic; E… are the folder's dossiers `EDGE-E…`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.oracle import edge_cases, edge_raw
from tests.oracle.compare import differences
from tests.oracle.edge_cases import Y1, A, B, C, D, X
from tests.oracle.precedence import agencies, successor_resolver
from tests.oracle.tables import PERIODIC_KEY, YEARLY_KEY, Tables
from tests.oracle.targets_file import parse_targets, parse_value
from tests.oracle.windows import periodic_windows

DAY = 86_400


@pytest.fixture(scope="module")
def tables() -> Tables:
    return Tables(edge_raw.raw())


@pytest.fixture(scope="module")
def yearly(tables: Tables) -> dict[tuple, dict]:
    return {tuple(row[k] for k in YEARLY_KEY): row for row in tables.kpi_yearly()}


@pytest.fixture(scope="module")
def periodic(tables: Tables) -> dict[tuple, dict]:
    return {tuple(row[k] for k in PERIODIC_KEY): row for row in tables.kpi_periodic()}


def year_value(yearly, year: int, indicator: str, scope_code: str = "ALL"):
    return yearly[(year, "province" if scope_code == "ALL" else "agency", scope_code, indicator)]["value"]


def period_value(periodic, kind: str, year: int, period: int, indicator: str, scope_code: str = "ALL"):
    scope = "province" if scope_code == "ALL" else "agency"
    return periodic[(kind, year, period, scope, scope_code, indicator)]["value"]


PROVINCE_2023 = {
    # E0 E1 E2 E3 E4 E5 E5B E6 E7 E9 E9B E10 E12 E13 E16 E18 E19 E21 E22 E23
    # (E8 E17 E20 never received)
    "dossiers_received": 20,
    # online: E1 E3 E5 E7 E9 E9B E10 E18 E19 (E6's earliest event, status 1, says channel 1)
    "online_submission_rate": 9 / 20,
    "postal_submission_rate": 1 / 20,  # E2
    # E0 E1 E2 E6 E7 E8 E9 E9B E12 E13 E16 E17 E18 E19 E21 E23; E4 E5 E5B withdrawn, E3 E10
    # finish in 2024
    "dossiers_finished": 16,
    # with a due date: all but E8 and E17; on time: E0 E1 (finished exactly at due) E6 E7
    # E9B E12 E16 E18 (one request, twice exported) E19 E21 (finished before received); E2
    # one second late, E9 two supplement requests, E13's due date is on its third event, E23
    "on_time_rate": 10 / 14,
    # seconds: E0 439200, E1 1, E2 1, E6 432000, E7 604800, E9 460801, E9B 288000,
    # E12 432000, E13 1123200, E16 576000, E18 604800, E19 432000, E21 -86400, E23 115201
    "avg_processing_days": 5_421_604 / (14 * DAY),
    "overdue_open_at_year_end": 2,  # E3 (due 23:59:58), E22 (withdrawn in 2024)
    # fee-bearing on the received date: E2 (row from 30 Jun), E3, E7 (overlapping rows),
    # E9B (fee from 30 Sep; E9 received 29 Sep 23:59:59 is not), E19; paid: E3 E9B (E7's
    # winning copy says 0)
    "online_payment_rate": 2 / 5,
    # by post: E1, E2, E7 (the last line of a.jsonl wins); not E6 (status 10 after 9 at the
    # same second), not E16 (its 9 came after its 10)
    "postal_return_rate": 3 / 16,
    # on 31 Dec: P3 P4 at level 3; P1 P2 P4 P6 at level 4 (P6's later line wins)
    "online_services_level3": 2,
    "online_services_level4": 4,
    "online_services_used_rate": 5 / 5,  # P1 P2 (E19) P3 P4 P6
    # EE1 EE3 EE5 EE6 EE7 EE11 (EE8's winning final row is accepted on 1 Jan 2024)
    "postal_result_shipments": 6,
    "postal_delivery_success_rate": 4 / 6,  # EE3 returned (a.csv after B.csv), EE11 failed
    # EE1 122460 s, EE5 86400 s, EE7 -86400 s; EE6 has no delivery time
    "postal_avg_delivery_days": 122_460 / (3 * DAY),
    "postal_unmatched_shipments": 2,  # EE4 (empty), EE5 (ghost dossier, rejected row only)
    # A June 106, B November 211, C December corrected 1350, D December 60, X June 10
    "mailboxes_issued": 1737,
    "mailboxes_new": 6 + 11 + 44 + 28 + 10,
    "mailbox_active_rate": (96 + 201 + 1250 + 50 + 12) / 1737,
}

PROVINCE_2024 = {
    "dossiers_received": 2,  # E11 (1 Jan 00:00:00), E15
    "online_submission_rate": 1.0,
    "dossiers_finished": 2,  # E3 (1 Jan 00:00:00), E10 (status 10 without 9)
    "on_time_rate": 1 / 2,  # E10
    "avg_processing_days": (5_238_000 + 374_401) / (2 * DAY),
    "overdue_open_at_year_end": 2,  # E11, E15
    "online_payment_rate": 1 / 2,  # E11 paid, E15 not
    "postal_return_rate": 1 / 2,  # E10
    "online_services_level3": 3,  # P3 P4 P5
    "online_services_level4": 3,  # P1 P2 P4 (P6 ended on 31 Dec 2023)
    "online_services_used_rate": 2 / 5,
    "postal_result_shipments": 2,  # EE8, EE9
    "postal_avg_delivery_days": (172_800 + 216_000) / (2 * DAY),
    "postal_unmatched_shipments": 1,  # "EDGE-e1": codes match exactly
    "mailboxes_issued": 230 + 1400,
    "mailbox_active_rate": (220 + 1300) / 1630,
}


@pytest.mark.parametrize(("year", "expected"), [(2023, PROVINCE_2023), (2024, PROVINCE_2024)])
def test_province_figures_by_hand(yearly, year: int, expected: dict) -> None:
    got = {indicator: year_value(yearly, year, indicator) for indicator in expected}
    assert got == pytest.approx(expected, rel=1e-12)


def test_agency_scope_follows_successors(yearly) -> None:
    resolve = successor_resolver(agencies(edge_raw.raw().agencies))
    # A's later catalogue line wins (A -> B -> C); a cycle stops at the repeated code
    assert [resolve(code) for code in (A, B, C, D, X, Y1)] == [C, C, C, D, X, Y1]
    assert year_value(yearly, 2023, "dossiers_received", C) == 12  # E1 E2 E3 E4 E7 E9 E9B E10 E13 E16 E21 E23
    assert year_value(yearly, 2023, "dossiers_received", D) == 7  # E0 E5 E5B E6 (status-2 agency) E18 E19 E22
    assert year_value(yearly, 2023, "dossiers_received", Y1) == 1
    assert year_value(yearly, 2023, "mailboxes_issued", C) == 106 + 211 + 1350  # last months of A, B, C
    assert year_value(yearly, 2023, "postal_avg_delivery_days", C) == pytest.approx((122_460 + 86_400) / (2 * DAY))
    assert year_value(yearly, 2023, "mailbox_active_rate", X) == pytest.approx(1.2)  # not capped
    scopes = {key[2] for key in yearly}
    assert scopes == {"ALL", C, D, X, Y1}  # no row under A, B, or a catalogue indicator at agency scope
    assert not [k for k in yearly if k[1] == "agency" and k[3].startswith("online_services")]


def test_which_years_and_priors(yearly) -> None:
    assert {key[0] for key in yearly} == {2023, 2024}
    # X: mailbox data in 2023 only, postal in 2024 only
    assert {(k[0], k[3]) for k in yearly if k[2] == X} >= {
        (2023, "mailboxes_issued"),
        (2024, "postal_result_shipments"),
    }
    assert (2023, "agency", X, "postal_result_shipments") not in yearly
    first = yearly[(2023, "province", "ALL", "on_time_rate")]
    assert (first["prior_value"], first["change_abs"], first["change_pct"], first["trend"]) == (None,) * 4
    row = yearly[(2024, "province", "ALL", "on_time_rate")]
    assert row["prior_value"] == pytest.approx(10 / 14) and row["trend"] == "worsened"
    assert row["change_pct"] == pytest.approx((1 / 2 - 10 / 14) / (10 / 14))
    assert yearly[(2024, "province", "ALL", "online_services_used_rate")]["trend"] == "worsened"  # 1 -> 2/5
    assert yearly[(2024, "province", "ALL", "postal_unmatched_shipments")]["trend"] == "improved"  # lower, 2 -> 1
    assert yearly[(2024, "province", "ALL", "dossiers_received")]["trend"] is None  # a volume
    # lower is better: 1 -> 0 improved (E22 overdue at the end of 2023 only)
    down = yearly[(2024, "agency", D, "overdue_open_at_year_end")]
    assert (down["change_abs"], down["change_pct"], down["trend"]) == (-1, -1, "improved")
    # a NULL figure: no change at all
    empty = yearly[(2024, "agency", D, "on_time_rate")]
    assert (empty["value"], empty["prior_value"], empty["change_abs"], empty["trend"]) == (None, 1.0, None, None)


def test_window_edges(periodic) -> None:
    value = lambda *args: period_value(periodic, *args)  # noqa: E731
    # E1 received 31 Mar 23:59:59, finished 1 Apr 00:00:00 at its due time
    assert value("month", 2023, 3, "dossiers_received") == 1
    assert value("month", 2023, 4, "dossiers_received") == 0
    assert value("month", 2023, 4, "on_time_rate") == 1.0
    assert value("quarter", 2023, 1, "dossiers_received") == 4  # E0 E19 E4 E1
    # on 31 Mar P2 is still at level 2: E19 (online) does not make it a used online service
    assert value("quarter", 2023, 1, "online_services_used_rate") == 1 / 4  # P1 of P1 P3 P4 P6
    # overdue at the end of February (E4, withdrawn in March), of March (none)
    assert value("month", 2023, 2, "overdue_open_at_year_end") == 1
    assert value("month", 2023, 3, "overdue_open_at_year_end") == 0
    # end of May: E5 withdrawn at 23:59:59 is not overdue, E5B withdrawn 1 Jun 00:00:00 is
    assert value("month", 2023, 5, "overdue_open_at_year_end") == 1
    # end of June: E2 is due at that very second: not "before" the end
    assert value("quarter", 2023, 2, "overdue_open_at_year_end") == 0
    assert value("month", 2023, 12, "overdue_open_at_year_end") == 2  # E3, E22
    assert value("month", 2024, 1, "overdue_open_at_year_end") == 1  # E11 (E22 withdrawn on 15 Jan)
    # E16: its status 9 on 1 Sep decides, not its status 10 on 31 Aug; E17: its 3, not its 8
    assert value("month", 2023, 8, "dossiers_finished") == 1  # E13
    assert value("month", 2023, 9, "dossiers_finished", C) == 3  # E8 E16 E17
    # E23, received at 23:59:59 on 30 Sep ("by" the end) and due one second earlier
    assert value("quarter", 2023, 3, "overdue_open_at_year_end") == 1
    # catalogue on the last day of each quarter of 2023
    levels = [
        (value("quarter", 2023, q, "online_services_level3"), value("quarter", 2023, q, "online_services_level4"))
        for q in (1, 2, 3, 4)
    ]
    assert levels == [(3, 1), (2, 3), (2, 3), (2, 4)]
    # the mailbox figures of a month are that month's reports; of a quarter, each code's last month in it
    assert value("month", 2023, 12, "mailboxes_issued") == 1350 + 60
    assert value("quarter", 2023, 4, "mailboxes_issued") == 211 + 1350 + 60
    assert value("quarter", 2023, 3, "mailboxes_issued", D) == 55  # the later line of the file


def test_which_periods_have_rows(periodic) -> None:
    def indicators(kind: str, year: int, period: int, scope_code: str = "ALL") -> set[str]:
        return {k[5] for k in periodic if k[:3] == (kind, year, period) and k[4] == scope_code}

    portal = {"dossiers_received", "overdue_open_at_year_end", "online_payment_rate"}
    catalogue = {"online_services_level3", "online_services_level4", "online_services_used_rate"}
    mailbox = {"mailboxes_issued", "mailboxes_new", "mailbox_active_rate"}
    postal = {"postal_result_shipments", "postal_unmatched_shipments"}
    # 2024: portal in January, February and April, mailbox in March, postal in January and June
    assert portal <= indicators("month", 2024, 2) and not mailbox & indicators("month", 2024, 2)
    assert indicators("month", 2024, 3) == mailbox | catalogue
    assert indicators("month", 2024, 5) == set()
    assert indicators("month", 2024, 6) >= postal | catalogue and not portal & indicators("month", 2024, 6)
    assert portal | mailbox | postal | catalogue <= indicators("ytd", 2024, 5)
    # E11 (B -> C) is overdue at the end of February 2024, but C has no event that month
    assert period_value(periodic, "month", 2024, 2, "overdue_open_at_year_end") == 1
    assert indicators("month", 2024, 2, C) == set()
    assert indicators("month", 2024, 2, D) >= portal
    # the same period of the year before
    row = periodic[("month", 2024, 1, "province", "ALL", "dossiers_received")]
    assert (row["prior_value"], row["period_start"], row["period_end"]) == (1, date(2024, 1, 1), date(2024, 1, 31))
    assert periodic[("month", 2024, 3, "province", "ALL", "mailboxes_issued")]["prior_value"] == 103 + 203 + 1303 + 40
    assert periodic[("quarter", 2024, 2, "province", "ALL", "online_services_level3")]["prior_value"] == 2
    # 0 -> 0 (nothing sent by post in January of either year): unchanged, no change_pct
    zero = periodic[("ytd", 2024, 1, "province", "ALL", "postal_submission_rate")]
    assert [zero[c] for c in ("value", "prior_value", "change_abs", "change_pct", "trend")] == [
        0,
        0,
        0,
        None,
        "unchanged",
    ]


def test_ytd_12_is_the_year(tables: Tables, yearly, periodic) -> None:
    ytd12 = [row for key, row in periodic.items() if key[0] == "ytd" and key[2] == 12]
    columns = ("value", "prior_value", "change_abs", "change_pct", "trend")
    assert differences(ytd12, yearly.values(), YEARLY_KEY, columns) == []
    assert len(periodic_windows(2024)) == 28


def test_comparison_reports_every_kind_of_difference(yearly) -> None:
    rows = [dict(row) for row in yearly.values()]
    columns = ("value", "prior_value", "change_abs", "change_pct", "trend")
    assert differences(rows, [dict(r) for r in rows], YEARLY_KEY, columns) == []
    theirs = [dict(r) for r in rows]
    theirs[0]["value"] = (theirs[0]["value"] or 0) + 1e-6
    moved = theirs.pop(1)
    theirs.append({**moved, "year": 1999})
    found = differences(rows, theirs, YEARLY_KEY, columns)
    assert len(found) == 3
    assert any("missing from the warehouse" in f for f in found) and any("not in the oracle" in f for f in found)
    # a relative 1e-12 difference of a ratio passes, of a count does not
    ratio = next(r for r in rows if r["indicator"] == "on_time_rate" and r["value"])
    count = next(r for r in rows if r["indicator"] == "dossiers_received" and r["value"])
    near = [{**r, "value": r["value"] * (1 + 1e-12)} for r in (ratio, count)]
    assert [f.split(":")[0] for f in differences([ratio, count], near, YEARLY_KEY, ["value"])] == [
        repr(tuple(count[k] for k in YEARLY_KEY))
    ]


def test_targets_by_hand(tables: Tables) -> None:
    got = {(r["year"], r["scope_code"], r["indicator"]): r for r in tables.kpi_targets()}
    assert len(got) == 12  # 13 valid lines, one key twice; the rejected lines replace nothing
    expected = {
        # (year, scope, indicator): (target, value, target_met)
        (2023, "ALL", "on_time_rate"): (0.5, 10 / 14, True),  # the later "abc" line is rejected
        (2023, "ALL", "dossiers_received"): (12.0, 20.0, True),  # the later line wins over 1.500
        (2023, C, "avg_processing_days"): (7.5, 3_081_604 / (9 * DAY), True),  # lower is better
        (2023, "ALL", "online_services_level3"): (1000.0, 2.0, False),
        (2024, C, "postal_avg_delivery_days"): (1.5, 2.25, False),
        (2025, "ALL", "dossiers_received"): (10.0, None, None),
        (2020, "ALL", "on_time_rate"): (0.99, None, None),
        (2023, C, "postal_return_rate"): (0.925, 3 / 11, False),
        (2023, D, "mailbox_active_rate"): (0.8, 50 / 60, True),
        (2023, "ALL", "overdue_open_at_year_end"): (2.0, 2.0, True),  # equal meets a "lower" target
        (2023, "ALL", "online_payment_rate"): (0.0, 0.4, True),
        (2023, C, "mailboxes_issued"): (1_234_567.0, 1667.0, False),
    }
    assert set(got) == set(expected)
    for key, (target, value, met) in expected.items():
        row = got[key]
        assert (row["target"], row["value"], row["target_met"]) == (pytest.approx(target), pytest.approx(value), met)
    assert got[(2025, "ALL", "dossiers_received")]["gap"] is None
    assert got[(2023, "ALL", "overdue_open_at_year_end")]["gap"] == 0
    assert got[(2023, C, "mailboxes_issued")]["scope"] == "agency"


def test_targets_file_rejects_by_the_contract(tmp_path: Path) -> None:
    landing = edge_cases.write_landing(tmp_path / "landing")
    parsed = parse_targets(landing)
    expected_rejected = [line for line, (_, valid) in enumerate(edge_cases.TARGET_ROWS, start=2) if not valid]
    assert [line for _, line, _ in parsed.rejected] == expected_rejected
    assert all(file == "catalog/edge/targets.csv" for file, _, _ in parsed.rejected)
    reasons = dict((line, reason) for _, line, reason in parsed.rejected)
    assert "merged into 'EDGE.B'" in reasons[5]
    assert "no agency scope" in reasons[6]
    # the parsed valid lines are the raw rows the loader must write
    assert parsed.accepted == edge_raw.raw().targets
    winners = parsed.winners()
    assert winners[(2023, "dossiers_received", "ALL")]["GiaTri"] == 12.0
    assert winners[(2023, "on_time_rate", "ALL")]["GiaTri"] == 50.0


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("80%", "ratio", 80.0),
        ("92,5%", "ratio", 92.5),
        ("80", "ratio", 80.0),
        ("1.500", "count", 1500.0),
        ("1500", "count", 1500.0),
        ("7,5", "days", 7.5),
        ("1.234.567,25", "count", 1234567.25),
        ("80%", "count", None),
        ("80 %", "ratio", None),
        ("1.5", "count", None),
        ("1,500.5", "count", None),
        ("-5", "count", None),
        ("+5", "count", None),
        ("5,", "count", None),
        ("", "count", None),
    ],
)
def test_target_number_format(text: str, unit: str, expected: float | None) -> None:
    assert parse_value(text, unit) == expected
