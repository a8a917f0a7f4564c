"""Row-for-row comparison of the oracle's rows with a published table.

Same keys on both sides; counts exactly equal; other doubles within a relative tolerance;
strings, dates and booleans exactly equal. The result is a list of readable differences
(empty when the tables agree), so a failing test shows which rows and both values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import duckdb

from tests.oracle.indicators import BY_CODE

REL_TOL = 1e-9
DOUBLE_COLUMNS = ("value", "prior_value", "change_abs", "change_pct", "target", "gap")


def fetch_table(con: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, object]]:
    cursor = con.execute(f"SELECT * FROM {table}")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _close(column: str, indicator: str, mine: object, theirs: object, row: dict) -> bool:
    if mine is None or theirs is None:
        return mine is None and theirs is None
    if column not in DOUBLE_COLUMNS:
        return mine == theirs
    mine, theirs = float(mine), float(theirs)
    exact_count = BY_CODE[indicator].unit == "count" and column in ("value", "prior_value", "change_abs", "gap")
    if exact_count and column != "gap":
        return mine == theirs
    # a difference of two figures is as precise as the figures, not as itself
    scale = max(abs(mine), abs(theirs))
    if column in ("change_abs", "gap"):
        scale = max(scale, *(abs(float(row[c])) for c in ("value", "prior_value", "target") if row.get(c) is not None))
    elif column == "change_pct" and row.get("prior_value"):
        scale = max(scale, *(abs(float(row[c]) / float(row["prior_value"])) for c in ("value", "prior_value")))
    return math.isclose(mine, theirs, rel_tol=REL_TOL, abs_tol=REL_TOL * scale)


def differences(
    mine: Iterable[dict[str, object]],
    theirs: Iterable[dict[str, object]],
    key: Sequence[str],
    columns: Sequence[str],
    *,
    limit: int = 40,
) -> list[str]:
    """Readable differences between two row sets, at most `limit` of them (plus a count)."""
    ours = {tuple(row[k] for k in key): row for row in mine}
    published = {tuple(row[k] for k in key): row for row in theirs}
    problems: list[str] = []
    only_ours = sorted(ours.keys() - published.keys(), key=repr)
    only_published = sorted(published.keys() - ours.keys(), key=repr)
    problems += [f"missing from the warehouse: {k} (oracle {_show(ours[k], columns)})" for k in only_ours]
    problems += [f"not in the oracle: {k} (warehouse {_show(published[k], columns)})" for k in only_published]
    unequal = []
    for k, a in ours.items():
        b = published.get(k)
        if b is None:
            continue
        # most figures are exactly equal: only the others go through the tolerance rules
        bad = [c for c in columns if a[c] != b[c] and not _close(c, a["indicator"], a[c], b[c], a)]
        if bad:
            unequal.append((repr(k), a, b, bad))
    for k, a, b, bad in sorted(unequal, key=lambda item: item[0]):
        problems.append(f"{k}: " + "; ".join(f"{c} oracle={a[c]!r} warehouse={b[c]!r}" for c in bad))
    if len(problems) > limit:
        problems = problems[:limit] + [f"... and {len(problems) - limit} more"]
    return problems


def _show(row: dict[str, object], columns: Sequence[str]) -> str:
    return ", ".join(f"{c}={row[c]!r}" for c in columns)
