"""The two outputs of ``parkpi explain``: the one JSON object of ``--json`` and the text, both
yielded in pieces (a province figure's rows can be hundreds of thousands)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from serving.explain.rows import ROW_SPECS
from serving.periods import Period

if TYPE_CHECKING:
    from serving.explain.explainer import Explainer, Explanation, Indicator


def _number(x: float | None) -> int | float | None:
    """A count as an integer in JSON, anything else as it is."""
    if x is not None and float(x).is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def json_document(explainer: Explainer, e: Explanation, limit: int | None, *, change: bool) -> Iterator[str]:
    """The one JSON object of ``--json``, in pieces (the rows can be large)."""
    head = {
        "indicator": e.indicator.code,
        "period": e.period.slug,
        "scope": e.scope,
        "scope_code": e.scope_code,
        "value": e.value,
        "numerator": _number(e.numerator),
        "denominator": _number(e.denominator),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1]
    yield ', "rows": ['
    yield from explainer.rows_json(e, limit)
    yield "]"
    if change:
        contributions = (
            None
            if e.contributions is None
            else [{"scope_code": code, "contribution": value} for code, _, value in e.contributions]
        )
        yield ', "contributions": ' + json.dumps(contributions)
    yield "}\n"


def _format_value(indicator: Indicator, x: float | None) -> str:
    if x is None:
        return "no value (empty denominator)"
    if indicator.unit == "ratio":
        return f"{x:.4f} ({100 * x:.2f} %)"
    if indicator.unit == "count":
        return f"{x:,.0f}"
    return f"{x:,.2f} days"


def _format_amount(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4f}"


def _period_words(period: Period) -> str:
    return f"{period.slug} ({period.start.isoformat()} to {period.end.isoformat()})"


def text_document(explainer: Explainer, e: Explanation, limit: int | None, *, change: bool) -> Iterator[str]:
    """The human-readable explanation, line by line."""
    i, spec = e.indicator, ROW_SPECS[e.indicator.code]
    kind = spec.kind
    where = "the province (ALL)" if e.scope == "province" else f"agency {e.scope_code}"
    yield f"{i.code}: {i.name_vi} / {i.name_en}"
    yield f"  period     {_period_words(e.period)}, {where}"
    yield f"  definition {i.definition} (Y read as the period)"
    yield f"  value      {_format_value(i, e.value)}"
    if i.is_ratio_or_mean:
        yield f"             = numerator {_format_amount(e.numerator)} / denominator {_format_amount(e.denominator)}"
        yield f"  numerator   {spec.numerator_en} / {spec.numerator_vi}"
        yield f"  denominator {spec.denominator_en} / {spec.denominator_vi}"
    else:
        yield f"  counted    {spec.numerator_en} / {spec.numerator_vi}"
    if change:
        yield ""
        prior = _format_value(i, e.prior_value) if e.prior_value is not None else "no figure"
        yield f"  same period last year ({e.period.same_period_last_year.slug}): {prior}"
        if e.change_abs is not None:
            yield f"  change     {e.change_abs:+,.6g}"
        if e.contributions is not None:
            total = sum(c for _, _, c in e.contributions)
            title = "contributions to the province's change by agency (they add up to it)"
            if e.scope != "province":
                title = "this agency's contribution to the province's change"
            yield f"  {title}:"
            for code, name, contribution in e.contributions:
                yield f"    {contribution:+14.6g}  {code}  {name or ''}"
            if e.scope == "province":
                yield f"    {total:+14.6g}  (sum)"
        elif e.change_note is not None:
            yield f"  {e.change_note[0]} / {e.change_note[1]}"
    yield ""
    shown = e.row_count if limit is None else min(limit, e.row_count)
    flagged = spec.in_numerator != "TRUE"
    in_numerator = f", {e.numerator_rows:,} of them in the numerator" if flagged else ""
    order = "those outside the numerator first" if flagged else "by key"
    amounts = ""
    if spec.numerator_amount != "1":
        amounts = "; each with what it adds to the numerator" + (
            " / the denominator" if spec.denominator_amount != "1" else ""
        )
    yield f"  rows: {e.row_count:,} {kind.noun_en} ({kind.noun_vi}){in_numerator}; showing {shown:,}, {order}{amounts}"
    yield from explainer.rows_text(e, limit)
    yield ""
    yield f"  read from {explainer.snapshot} (snapshot {e.snapshot_id}, published {e.published_at})"
