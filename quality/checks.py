"""The shape of a data-quality check, and the names, thresholds and plausibility bounds they use.

A *check* is one rule about one table (or one query), made of one or more Great Expectations
expectations, and is what Dagster shows as an asset check. A *suite* is every check about one
Dagster asset (suite name = the asset key, e.g. ``portal.raw_events``). What each source
checks is in :mod:`quality.suites`; how they run is in :mod:`quality.runner`.

Expectations are described here by class name and arguments, not as GX objects: importing
Great Expectations takes seconds, and loading the Dagster definitions should not pay for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sources.contract import CATALOG_HORIZON, DUE_HORIZON, NOW, THIS_MONTH
from sources.settings import local_now  # noqa: F401 (re-exported: the validation clock)

# -- check names: one constant per rule; a rule keeps its name on every asset it checks ----------

COLUMNS_PRESENT = "columns_present"
REQUIRED_VALUES_PRESENT = "required_values_present"
CODES_IN_SETS = "codes_in_sets"
DOSSIER_CODE_PATTERN = "dossier_code_pattern"
WAYBILL_PATTERN = "waybill_pattern"
DATES_PLAUSIBLE = "dates_plausible"
VALIDITY_PERIOD_ORDERED = "validity_period_ordered"
DELIVERED_NOT_BEFORE_ACCEPTED = "delivered_not_before_accepted"
POSTAGE_NOT_NEGATIVE = "postage_not_negative"
COUNTS_NOT_NEGATIVE = "counts_not_negative"
ACTIVE_NOT_ABOVE_ISSUED = "active_not_above_issued"
FINISHED_NOT_BEFORE_RECEIVED = "finished_not_before_received"
DUE_NOT_BEFORE_RECEIVED = "due_not_before_received"
POSTAL_RESULTS_HAVE_SHIPMENT = "postal_results_have_shipment"
RESULT_SHIPMENTS_MATCH_DOSSIER = "result_shipments_match_dossier"
RATIOS_BETWEEN_0_AND_1 = "ratios_between_0_and_1"
MAILBOX_ACTIVE_RATE_BETWEEN_0_AND_1 = "mailbox_active_rate_between_0_and_1"
ONE_ROW_PER_KEY = "one_row_per_key"
INDICATORS_COMPLETE = "indicators_complete"
NO_MISSING_YEAR = "no_missing_year"
NO_MONTH_WITHOUT_EVENTS = "no_month_without_events"

# -- thresholds and bounds (docs/quality.md explains each) ---------------------------------------

# Reconciliation between the postal and portal sources: shares below these warn.
MIN_RESULT_SHIPMENTS_MATCHED = 0.95
MIN_POSTAL_RESULTS_WITH_SHIPMENT = 0.90

# Where a date may legitimately lie ahead (an appointed return date, a catalogue entry taking
# effect later), it may do so by at most this much.
FUTURE_ALLOWANCE = dt.timedelta(days=366)

# How failing rows are shown: this many per expectation, in Dagster metadata and dq tables.
SAMPLE_SIZE = 10

# Suite parameters (GX "$PARAMETER"s), filled in when a validation runs: "now" is local time
# in the province (the sources' times are local, without a zone; sources.settings.local_now).
# The names are those the source modules' raw rules use as bounds (sources.contract).


def parameter(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def suite_parameters(now: dt.datetime) -> dict[str, Any]:
    """The values of the suite parameters at ``now`` (local time, naive)."""
    return {
        NOW: now,
        THIS_MONTH: now.date().replace(day=1),
        DUE_HORIZON: now + FUTURE_ALLOWANCE,
        CATALOG_HORIZON: now.date() + FUTURE_ALLOWANCE,
    }


# -- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """One GX expectation: its class in ``great_expectations.expectations`` and its arguments.

    ``where`` restricts it to rows where ``column == value`` or ``column in values``
    (a GX row condition)."""

    kind: str
    args: Mapping[str, Any] = field(default_factory=dict)
    where: tuple[str, Literal["==", "in"], Any] | None = None

    @property
    def column(self) -> str | None:
        if "column" in self.args:
            return self.args["column"]
        if "column_A" in self.args:
            return f"{self.args['column_A']} >= {self.args['column_B']}"
        if "column_list" in self.args:
            return ", ".join(self.args["column_list"])
        return None

    @property
    def mostly(self) -> float | None:
        return self.args.get("mostly")


def expect(kind: str, *, where: tuple[str, Literal["==", "in"], Any] | None = None, **args: Any) -> Expect:
    return Expect(kind=kind, args=args, where=where)


Severity = Literal["blocking", "warn"]


@dataclass(frozen=True)
class Check:
    """One rule about one asset.

    ``blocking`` checks guard the KPIs: when one fails, nothing downstream of the asset is
    built and the run fails. The others warn. ``query`` validates the rows it returns instead
    of the asset's whole table (reconciliations); ``key_columns`` then name the columns that
    identify a failing row in it."""

    name: str
    blocking: bool
    rule: str
    expectations: tuple[Expect, ...]
    query: str | None = None
    key_columns: tuple[str, ...] | None = None

    @property
    def severity(self) -> Severity:
        return "blocking" if self.blocking else "warn"

    @property
    def threshold(self) -> float | None:
        """The smallest passing share of rows, where the check tolerates some failing rows."""
        shares = [e.mostly for e in self.expectations if e.mostly is not None]
        return min(shares) if shares else None


@dataclass(frozen=True)
class Suite:
    """Every check about one Dagster asset (``asset``, its key path) over one table."""

    asset: tuple[str, ...]
    table: tuple[str, str]  # (schema, table)
    key_columns: tuple[str, ...]  # identify a failing row of the table in samples
    checks: tuple[Check, ...]
    description: str = ""

    @property
    def name(self) -> str:
        return ".".join(self.asset)

    @property
    def asset_path(self) -> str:
        """The asset key as Dagster prints it, e.g. ``portal/raw_events``."""
        return "/".join(self.asset)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)
