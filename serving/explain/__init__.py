"""How a published figure is made (``parkpi explain``): its definition, value, numerator and
denominator, the rows behind it traced to the landing files' lines, and with ``change`` each
agency's contribution to the change against the same period of the year before.

Everything is read from the published snapshot (``kpi.duckdb``), never from the warehouse, so
an explanation never waits for or blocks a run. The numbers are the published ones. By job:

- ``arguments``: the indicator and scope asked for, and ``ExplainError`` for a question
  explain cannot answer (English and Vietnamese);
- ``rows``: which rows make each figure (``ROW_SPECS``) as SQL, and ``member_totals`` (every
  period at once, for the tests);
- ``explainer``: reading one figure from the snapshot (``Explainer``, ``Explanation``) and
  checking that its rows add up to it;
- ``lineage``: the rows themselves and the landing files and lines they came from;
- ``render``: the text and the JSON output.
"""

from serving.explain.arguments import PROVINCE, ExplainError
from serving.explain.explainer import Explainer, Explanation, Indicator
from serving.explain.render import json_document, text_document
from serving.explain.rows import ROW_SPECS, RowKind, RowSpec, member_totals

__all__ = [
    "PROVINCE",
    "ROW_SPECS",
    "ExplainError",
    "Explainer",
    "Explanation",
    "Indicator",
    "RowKind",
    "RowSpec",
    "json_document",
    "member_totals",
    "text_document",
]
