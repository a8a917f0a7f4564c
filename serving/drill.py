"""The report's drill-through, read from the published snapshot: what moved a province figure
(the agencies with the largest contributions to its change, from ``kpi_contributions``) and
each agency's overdue open dossiers at the end of a period (from ``kpi_dossier_flags``, the
rows dbt counts for ``overdue_open_at_year_end``), so a leader can hand the list on.

Plain functions over a DuckDB connection to the snapshot; the numbers are the published ones
(`parkpi explain` reads the same tables).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from serving.periods import Period

DRILL_TABLES = ("kpi_contributions", "kpi_dossier_flags")


def has_drill_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """A snapshot published before the drill-through tables existed has no drill-through."""
    found = con.execute(
        f"""SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main'
            AND table_name IN ({", ".join("?" for _ in DRILL_TABLES)})""",
        list(DRILL_TABLES),
    ).fetchone()[0]
    return found == len(DRILL_TABLES)


@dataclass(frozen=True)
class Contribution:
    agency_code: str
    agency_name: str
    contribution: float  # in the indicator's unit (a ratio's as a fraction)


@dataclass(frozen=True)
class Movers:
    """What moved a province figure against the same period last year: the change and the
    agencies that moved it most either way (their contributions add up to the change with
    those of the agencies not shown)."""

    indicator: str
    change: float
    up: list[Contribution]  # largest positive contributions first
    down: list[Contribution]  # largest negative contributions first
    agencies: int  # agencies with a contribution


def what_moved(
    con: duckdb.DuckDBPyConnection, period: Period, indicators: list[str], per_side: int = 3, smallest: float = 0.0
) -> dict[str, Movers]:
    """Movers of each of ``indicators`` for ``period`` that has a change (a province value and
    a prior value); the others are left out. Contributions smaller than ``smallest`` in size
    (what would print as 0) are not shown as movers."""
    if not indicators:
        return {}
    rows = con.execute(
        f"""SELECT c.indicator, c.scope_code, coalesce(a.agency_name, c.scope_code), c.contribution,
                   c.province_change
            FROM main.kpi_contributions AS c LEFT JOIN main.dim_agencies AS a ON a.agency_code = c.scope_code
            WHERE c.period_type = ? AND c.year = ? AND c.period = ?
              AND c.indicator IN ({", ".join("?" for _ in indicators)})
            ORDER BY c.indicator, c.contribution DESC, c.scope_code""",
        [period.period_type, period.year, period.period, *indicators],
    ).fetchall()
    by_indicator: dict[str, list[tuple]] = {}
    for row in rows:
        by_indicator.setdefault(row[0], []).append(row)
    movers = {}
    for indicator, contributions in by_indicator.items():
        items = [Contribution(code, name, value) for _, code, name, value, _ in contributions]
        movers[indicator] = Movers(
            indicator,
            contributions[0][4],
            [c for c in items if c.contribution > 0 and c.contribution >= smallest][:per_side],
            sorted(
                (c for c in items if c.contribution < 0 and -c.contribution >= smallest),
                key=lambda c: (c.contribution, c.agency_code),
            )[:per_side],
            len(items),
        )
    return movers


@dataclass(frozen=True)
class OverdueDossier:
    dossier_code: str
    procedure_code: str | None
    procedure_name: str | None
    received_at: dt.datetime | None
    due_at: dt.datetime
    days_overdue: int  # whole days from the due time to the end of the period


# The most overdue dossiers an agency's list shows (report page and workbook). The figure and the
# count are of all of them; the whole list is `parkpi explain overdue_open_at_year_end PERIOD
# --scope AGENCY` (or the snapshot's kpi_dossier_flags). A bound keeps the report's size and
# memory that of a report, not of the history: never-finished dossiers pile up over the years.
OVERDUE_LIST_LIMIT = 200


@dataclass(frozen=True)
class AgencyOverdue:
    agency_code: str
    agency_name: str
    dossiers: list[OverdueDossier]  # most overdue first, at most OVERDUE_LIST_LIMIT
    total: int  # all of the agency's overdue open dossiers

    @property
    def more(self) -> int:
        """Overdue dossiers not in the list."""
        return self.total - len(self.dossiers)


def overdue_dossiers(
    con: duckdb.DuckDBPyConnection, period: Period, limit: int = OVERDUE_LIST_LIMIT
) -> list[AgencyOverdue]:
    """Per agency (today's structure) with any, the dossiers overdue and open at the last second
    of ``period``: the rows of ``overdue_open_at_year_end`` (kpi-decisions 6), most overdue first,
    at most `limit` of them, with their number; the agencies with the most first. The procedure's
    name is that of its catalogue row in force on the period's last day (the latest starting by
    then when several are)."""
    last_month = period.end.replace(day=1)
    rows = con.execute(
        """WITH overdue AS (
               SELECT d.current_agency_code AS agency_code, coalesce(a.agency_name, d.current_agency_code),
                      d.dossier_code, d.procedure_code, p.procedure_name, f.received_at, f.due_at,
                      CAST(floor(date_diff('second', f.due_at, CAST(? AS TIMESTAMP) + INTERVAL 1 DAY) / 86400)
                           AS BIGINT)
               FROM main.kpi_dossier_flags AS d
               JOIN main.fct_dossiers AS f ON f.dossier_code = d.dossier_code
               LEFT JOIN main.dim_agencies AS a ON a.agency_code = d.current_agency_code
               LEFT JOIN main.dim_procedures AS p
                 ON p.procedure_code = d.procedure_code AND p.valid_from <= ?
                AND (p.valid_to IS NULL OR ? <= p.valid_to)
               WHERE d.overdue_from_month <= ? AND (d.overdue_until_month IS NULL OR d.overdue_until_month > ?)
               QUALIFY row_number() OVER (PARTITION BY d.dossier_code ORDER BY p.valid_from DESC) = 1
           )
           SELECT * EXCLUDE (place) FROM (
               SELECT *, count(*) OVER (PARTITION BY agency_code) AS total,
                      row_number() OVER (PARTITION BY agency_code ORDER BY due_at, dossier_code) AS place
               FROM overdue
           )
           WHERE place <= ?
           ORDER BY agency_code, due_at, dossier_code""",
        [period.end, period.end, period.end, last_month, last_month, limit],
    ).fetchall()
    by_agency: dict[str, AgencyOverdue] = {}
    for agency, name, *dossier, total in rows:
        by_agency.setdefault(agency, AgencyOverdue(agency, name, [], total)).dossiers.append(OverdueDossier(*dossier))
    return sorted(by_agency.values(), key=lambda a: (-a.total, a.agency_code))
