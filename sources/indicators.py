"""The KPI indicators, as the dbt project lists them (``dbt_project/dbt_project.yml``,
``vars: kpi_indicators``; docs/indicators.md describes them): read here so that ingest can
validate plan targets (``catalog/targets.csv``) against the same list dbt computes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from sources.settings import DBT_PROJECT_DIR


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str  # portal | postal | mailbox | catalog: whose data decides which periods have a row
    unit: str  # count | ratio | days
    better: str  # higher | lower | none
    name_vi: str
    name_en: str
    definition: str


@cache
def indicators() -> tuple[Indicator, ...]:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return tuple(Indicator(**entry) for entry in project["vars"]["kpi_indicators"])


def codes(*, unit: str | None = None, group: str | None = None) -> tuple[str, ...]:
    return tuple(
        i.code for i in indicators() if (unit is None or i.unit == unit) and (group is None or i.group == group)
    )
