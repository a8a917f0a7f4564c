"""Is each source's newest data recent enough? A warning, never blocking: judged against the
as-of day (``sources.settings.as_of``: PARKPI_AS_OF, the landing folder's ``landing.toml``, or
today) and each source's own allowance (``Source.freshness``). Kept in ``dq.check_results``
like every other check, so it is in the run summary, `parkpi status` and the quality history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from quality.results import record_rows
from quality.runner import json_text
from sources.contract import Source
from sources.settings import local_now
from sources.warehouse import quote

CHECK_NAME = "data_is_fresh"


@dataclass(frozen=True)
class FreshnessOutcome:
    source: Source
    newest: dt.datetime | None
    as_of: dt.datetime

    @property
    def max_age_days(self) -> int:
        return self.source.freshness.max_age_days

    @property
    def age_days(self) -> float | None:
        return None if self.newest is None else (self.as_of - self.newest).total_seconds() / 86400

    @property
    def passed(self) -> bool:
        return self.age_days is not None and self.age_days <= self.max_age_days

    @property
    def asset(self) -> str:
        return f"{self.source.token}/raw_{self.source.freshness.entity}"

    def summary(self) -> str:
        if self.newest is None:
            return f"no {self.source.token} data at all"
        return (
            f"newest {self.source.token} data {self.newest:%Y-%m-%d %H:%M}, {self.age_days:,.0f} days before "
            f"{self.as_of:%Y-%m-%d} (expected at most {self.max_age_days})"
        )


def check_freshness(con: duckdb.DuckDBPyConnection, source: Source, as_of: dt.datetime) -> FreshnessOutcome:
    rule = source.freshness
    table = f"{quote(source.schema)}.{quote(rule.entity)}"
    newest = con.execute(f"SELECT max({quote(rule.column)}) FROM {table}").fetchone()[0]
    if newest is not None and not isinstance(newest, dt.datetime):
        newest = dt.datetime.combine(newest, dt.time())
    return FreshnessOutcome(source, newest, as_of)


def record_freshness(con: duckdb.DuckDBPyConnection, run_id: str, outcome: FreshnessOutcome) -> None:
    details = {
        "newest": str(outcome.newest) if outcome.newest else None,
        "as_of": f"{outcome.as_of:%Y-%m-%d}",
        "age_days": round(outcome.age_days, 1) if outcome.age_days is not None else None,
        "max_age_days": outcome.max_age_days,
    }
    record_rows(
        con,
        [
            (
                run_id,
                outcome.asset,
                CHECK_NAME,
                "warn",
                outcome.passed,
                1,
                0 if outcome.passed else 1,
                0.0 if outcome.passed else 1.0,
                None,
                outcome.summary(),
                json_text([] if outcome.passed else [details]),
                json_text([details]),
                "freshness",
                None,
                local_now(),
            )
        ],
    )
