"""kpi_periodic, kpi_yearly and kpi_targets on the bundled sample (the session's shared
`parkpi run` build, tests/conftest.py sample_build).

The tests check properties that hold whatever the figures are: `ytd` 12 is kpi_yearly row
for row, the period calendar, sums of months for additive indicators, the end-of-period
reading of point-in-time ones, which periods have rows, the same-period prior, and the plan's
targets against kpi_yearly. (The figures themselves are checked against an independent
computation in tests/test_oracle.py, the period edges by dbt unit tests.)
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.builds import Build

# Additive over months: a quarter or a year to date is the sum of its months (a month
# without a row has nothing: 0).
ADDITIVE = (
    "dossiers_received",
    "dossiers_finished",
    "postal_result_shipments",
    "postal_unmatched_shipments",
    "mailboxes_new",
)
# Read at the end of the window: a quarter or ytd M has the figure of its last month.
AT_PERIOD_END = ("overdue_open_at_year_end", "online_services_level3", "online_services_level4")


@pytest.fixture(scope="module")
def warehouse(sample_build: Build) -> Path:
    return sample_build.warehouse


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_ytd_12_is_kpi_yearly_row_for_row(warehouse: Path) -> None:
    columns = "year, scope, scope_code, indicator, value, prior_value, change_abs, change_pct, trend"
    ytd12 = f"select {columns} from kpi.kpi_periodic where period_type = 'ytd' and period = 12"
    yearly = f"select {columns} from kpi.kpi_yearly"
    [(rows,)] = query(warehouse, "select count(*) from kpi.kpi_yearly")
    [(only_ytd,)] = query(warehouse, f"select count(*) from ({ytd12} except all {yearly})")
    [(only_yearly,)] = query(warehouse, f"select count(*) from ({yearly} except all {ytd12})")
    assert rows > 4000  # 19 indicators, 5 years, province and agencies
    assert (only_ytd, only_yearly) == (0, 0)


def test_periods_are_the_contracts_windows(warehouse: Path) -> None:
    windows = query(
        warehouse,
        """select period_type, year, period, period_start, period_end, count(*) over (partition by period_type, year)
        from (select distinct period_type, year, period, period_start, period_end from kpi.kpi_periodic)
        where year = 2019 order by period_type, period""",
    )
    by_key = {(t, p): (start.isoformat(), end.isoformat(), n) for t, _, p, start, end, n in windows}
    assert by_key[("month", 2)] == ("2019-02-01", "2019-02-28", 12)
    assert by_key[("quarter", 1)] == ("2019-01-01", "2019-03-31", 4)
    assert by_key[("quarter", 4)] == ("2019-10-01", "2019-12-31", 4)
    assert by_key[("ytd", 9)] == ("2019-01-01", "2019-09-30", 12)
    assert by_key[("ytd", 12)] == ("2019-01-01", "2019-12-31", 12)


@pytest.mark.parametrize("indicator", ADDITIVE)
def test_quarters_and_years_to_date_add_up_their_months(warehouse: Path, indicator: str) -> None:
    mismatches = query(
        warehouse,
        """with months as (
            select year, period as month, scope, scope_code, value
            from kpi.kpi_periodic where period_type = 'month' and indicator = ?
        ),
        longer as (
            select period_type, year, period, scope, scope_code, value,
                case period_type when 'quarter' then 3 * period - 2 else 1 end as first_month,
                case period_type when 'quarter' then 3 * period else period end as last_month
            from kpi.kpi_periodic where period_type in ('quarter', 'ytd') and indicator = ?
        )
        select longer.period_type, longer.year, longer.period, longer.scope_code, longer.value,
            coalesce(sum(months.value), 0) as month_sum
        from longer
        left join months
            on months.year = longer.year and months.scope_code = longer.scope_code
            and months.month between longer.first_month and longer.last_month
        group by all
        having longer.value <> coalesce(sum(months.value), 0)""",
        [indicator, indicator],
    )
    assert mismatches == []


@pytest.mark.parametrize("indicator", AT_PERIOD_END)
def test_point_in_time_figures_are_those_of_the_last_month(warehouse: Path, indicator: str) -> None:
    compared = query(
        warehouse,
        """select count(*), count(*) filter (where longer.value is distinct from months.value)
        from kpi.kpi_periodic as longer
        inner join kpi.kpi_periodic as months
            on months.period_type = 'month' and months.indicator = longer.indicator
            and months.year = longer.year and months.scope_code = longer.scope_code
            and months.period = case longer.period_type when 'quarter' then 3 * longer.period else longer.period end
        where longer.period_type in ('quarter', 'ytd') and longer.indicator = ?""",
        [indicator],
    )
    [(pairs, different)] = compared
    assert pairs > 0 and different == 0


def test_a_period_has_a_row_when_one_of_its_months_has(warehouse: Path) -> None:
    """Quarters and years to date exist exactly when a month inside them exists, per indicator
    and scope (every source has monthly data, so the rule for W reduces to its months)."""
    [(missing, extra)] = query(
        warehouse,
        """with months as (
            select distinct year, period as month, scope_code, indicator
            from kpi.kpi_periodic where period_type = 'month'
        ),
        expected as (
            select distinct 'quarter' as period_type, year, (month + 2) // 3 as period, scope_code, indicator
            from months
            union
            select distinct 'ytd', months.year, ytd.period, months.scope_code, months.indicator
            from months, range(1, 13) as ytd (period) where months.month <= ytd.period
        ),
        actual as (
            select period_type, year, period, scope_code, indicator
            from kpi.kpi_periodic where period_type in ('quarter', 'ytd')
        )
        select (select count(*) from (select * from expected except select * from actual)),
            (select count(*) from (select * from actual except select * from expected))""",
    )
    assert (missing, extra) == (0, 0)


def test_prior_is_the_same_period_of_the_year_before(warehouse: Path) -> None:
    [(checked, wrong)] = query(
        warehouse,
        """select count(*), count(*) filter (where current.prior_value is distinct from prior.value)
        from kpi.kpi_periodic as current
        left join kpi.kpi_periodic as prior
            on prior.period_type = current.period_type and prior.period = current.period
            and prior.year = current.year - 1 and prior.scope_code = current.scope_code
            and prior.indicator = current.indicator""",
    )
    assert checked > 100_000 and wrong == 0


def test_targets_against_kpi_yearly(warehouse: Path) -> None:
    rows = query(
        warehouse,
        """select targets.year, targets.scope_code, targets.indicator, targets.target, targets.value,
            targets.gap, targets.target_met, yearly.value, indicators.better
        from kpi.kpi_targets as targets
        left join kpi.kpi_yearly as yearly using (year, scope, scope_code, indicator)
        left join marts.dim_indicators as indicators using (indicator)""",
    )
    # The sample's plan: 30 rows pass the contract, one of them (2020 online submission rate)
    # corrected by a later line of the file.
    assert len(rows) == 29
    targets = {(year, scope, indicator): target for year, scope, indicator, target, *_ in rows}
    assert targets[(2020, "ALL", "online_submission_rate")] == 0.4
    assert targets[(2020, "ALL", "on_time_rate")] == 0.925
    assert targets[(2019, "ALL", "mailboxes_issued")] == 10500
    for year, scope, indicator, target, value, gap, met, yearly_value, better in rows:
        assert value == yearly_value, (year, scope, indicator)
        if value is None:
            assert (gap, met) == (None, None)
        else:
            assert gap == value - target
            assert met == (value <= target if better == "lower" else value >= target)
