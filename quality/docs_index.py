"""parkpi's own Data Docs index: ``<warehouse dir>/data_docs/index.html``.

Great Expectations' index page draws its table with jQuery and bootstrap-table loaded from
public CDNs, so without internet it is blank, and the province's machines may have none. This
index is plain HTML and CSS, with no script, font or image from anywhere: every suite with its
latest result (status, checks, the failing expectations with a sample of failing rows), and the
runs whose results are kept, each linking to GX's own pages for the details. Those pages are
readable offline too (their tables are plain HTML; only their styling comes from the CDNs).

It is rendered from the JSON that GX keeps in ``data_docs/.store/`` (suites in
``expectations/``, results in ``validations/``), whose layout mirrors GX's page layout: a
result stored at ``.store/validations/<key>.json`` is rendered at ``validations/<key>.html``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sources.settings import TIME_ZONE_LABEL, format_time

TEMPLATE = Path(__file__).with_name("docs_index.html")
SAMPLE_SHOWN = 3  # failing rows shown per expectation (GX keeps up to 10; its page shows them)
ZONE_LABEL = TIME_ZONE_LABEL


@dataclass(frozen=True)
class ExpectationResult:
    check: str
    severity: str  # blocking | warn
    description: str
    success: bool
    evaluated: int | None = None
    unexpected: int | None = None
    sample: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class CheckResult:
    name: str
    severity: str
    rule: str
    expectations: tuple[ExpectationResult, ...]

    @property
    def success(self) -> bool:
        return all(e.success for e in self.expectations)

    @property
    def failures(self) -> tuple[ExpectationResult, ...]:
        return tuple(e for e in self.expectations if not e.success)


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    asset: str
    run_name: str
    run_time: dt.datetime  # aware
    page: str | None  # relative to the site root
    checks: tuple[CheckResult, ...]
    evaluated: int
    successful: int

    @property
    def status(self) -> str:
        """passed | warning | blocking (a blocking check failed)."""
        failed = [c for c in self.checks if not c.success]
        if any(c.severity == "blocking" for c in failed):
            return "blocking"
        return "warning" if failed or self.successful < self.evaluated else "passed"

    @property
    def checks_passed(self) -> int:
        return sum(c.success for c in self.checks)


@dataclass
class Suite:
    name: str
    page: str | None
    expectations: int
    results: list[SuiteResult] = field(default_factory=list)  # newest first

    @property
    def latest(self) -> SuiteResult | None:
        return self.results[0] if self.results else None


@dataclass(frozen=True)
class Run:
    name: str
    started: dt.datetime
    results: tuple[SuiteResult, ...]

    @property
    def status(self) -> str:
        statuses = {r.status for r in self.results}
        return "blocking" if "blocking" in statuses else "warning" if "warning" in statuses else "passed"


# -- reading GX's store ------------------------------------------------------------------------


def _json_files(folder: Path) -> Iterable[Path]:
    return sorted(folder.rglob("*.json")) if folder.is_dir() else []


def _page(root: Path, section: str, stored: Path, store: Path) -> str | None:
    page = Path(section) / stored.relative_to(store).with_suffix(".html")
    return page.as_posix() if (root / page).is_file() else None


def _aware(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _describe(config: dict[str, Any]) -> str:
    kind = str(config.get("type", "expectation")).removeprefix("expect_").replace("_", " ")
    kwargs = config.get("kwargs") or {}
    columns = kwargs.get("column") or kwargs.get("column_list") or kwargs.get("column_A")
    if isinstance(columns, list):
        columns = ", ".join(str(c) for c in columns)
    if kwargs.get("column_B"):
        columns = f"{columns}, {kwargs['column_B']}"
    return f"{columns}: {kind}" if columns else kind


def _plain(value: Any) -> str:
    """One failing row or value as a reader wants it: where it comes from first (landing file and
    line, for raw tables), then its values."""
    if not isinstance(value, dict):
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    where = ""
    if "_source_file" in value:
        where = f"{value['_source_file']}" + (f" line {value['_source_line']}" if "_source_line" in value else "")
    values = ", ".join(f"{k} = {_plain(v)}" for k, v in value.items() if k not in ("_source_file", "_source_line"))
    return f"{where}: {values}" if where and values else where or values


def _expectation(entry: dict[str, Any]) -> ExpectationResult:
    config = entry.get("expectation_config") or {}
    meta = config.get("meta") or {}
    result = entry.get("result") or {}
    info = entry.get("exception_info") or {}
    error = info.get("exception_message") if info.get("raised_exception") else None
    unexpected = result.get("unexpected_count")
    evaluated = result.get("element_count")
    if unexpected is None and isinstance(result.get("observed_value"), int):  # unexpected-rows queries
        unexpected = result["observed_value"]
    sample = result.get("partial_unexpected_index_list") or result.get("partial_unexpected_list") or []
    return ExpectationResult(
        check=str(meta.get("parkpi_check") or config.get("type") or "?"),
        severity=str(meta.get("severity") or "blocking"),
        description=_describe(config),
        success=bool(entry.get("success")),
        evaluated=evaluated,
        unexpected=unexpected,
        sample=tuple(_plain(s) for s in sample[:SAMPLE_SHOWN]) if not entry.get("success") else (),
        error=error.strip().splitlines()[-1] if error else None,
    )


_NOTES = re.compile(r"parkpi check `[^`]+` \([^)]*\) on (?P<asset>\S+): (?P<rule>.*?)\.?$", re.S)


def _suite_result(root: Path, store: Path, stored: Path) -> SuiteResult:
    document = json.loads(stored.read_text(encoding="utf-8"))
    run_id = (document.get("meta") or {}).get("run_id") or {}
    checks: dict[str, list[ExpectationResult]] = {}
    rules: dict[str, str] = {}
    asset = document.get("suite_name", "")
    for entry in sorted(
        document.get("results") or [],
        key=lambda e: ((e.get("expectation_config") or {}).get("meta") or {}).get("parkpi_expectation") or 0,
    ):
        expectation = _expectation(entry)
        checks.setdefault(expectation.check, []).append(expectation)
        notes = _NOTES.match(str((entry.get("expectation_config") or {}).get("notes") or ""))
        if notes:
            rules.setdefault(expectation.check, notes.group("rule"))
            asset = notes.group("asset")
    statistics = document.get("statistics") or {}
    return SuiteResult(
        suite=document.get("suite_name", stored.stem),
        asset=asset,
        run_name=str(run_id.get("run_name") or "(no run name)"),
        run_time=_aware(run_id.get("run_time") or document["meta"]["validation_time"]),
        page=_page(root, "validations", stored, store),
        checks=tuple(
            CheckResult(name, found[0].severity, rules.get(name, ""), tuple(found)) for name, found in checks.items()
        ),
        evaluated=int(statistics.get("evaluated_expectations") or 0),
        successful=int(statistics.get("successful_expectations") or 0),
    )


def read_site(root: Path) -> tuple[list[Suite], list[Run]]:
    """The suites (by name) with their kept results (newest first), and the runs (newest first)."""
    store = root / ".store"
    suites: dict[str, Suite] = {}
    for stored in _json_files(store / "expectations"):
        document = json.loads(stored.read_text(encoding="utf-8"))
        name = document.get("name") or stored.stem
        suites[name] = Suite(
            name, _page(root, "expectations", stored, store / "expectations"), len(document.get("expectations") or [])
        )
    for stored in _json_files(store / "validations"):
        result = _suite_result(root, store / "validations", stored)
        suites.setdefault(result.suite, Suite(result.suite, None, result.evaluated)).results.append(result)
    by_run: dict[str, list[SuiteResult]] = {}
    for suite in suites.values():
        suite.results.sort(key=lambda r: r.run_time, reverse=True)
        for result in suite.results:
            by_run.setdefault(result.run_name, []).append(result)
    runs = [
        Run(name, min(r.run_time for r in results), tuple(sorted(results, key=lambda r: r.suite)))
        for name, results in by_run.items()
    ]
    runs.sort(key=lambda run: run.started, reverse=True)
    return sorted(suites.values(), key=lambda s: s.name), runs


# -- rendering -------------------------------------------------------------------------------------


def _local(moment: dt.datetime) -> str:
    return format_time(moment, seconds=True)


def render_index(suites: list[Suite], runs: list[Run], generated: dt.datetime) -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["local"] = _local
    environment.filters["number"] = lambda n: "–" if n is None else f"{n:,}"
    latest = [s.latest for s in suites if s.latest is not None]
    checks = [c for r in latest for c in r.checks]
    totals = {
        "suites": len(suites),
        "checks": len(checks),
        "passed": sum(c.success for c in checks),
        "warnings": sum(not c.success and c.severity != "blocking" for c in checks),
        "blocking": sum(not c.success and c.severity == "blocking" for c in checks),
    }
    return environment.get_template(TEMPLATE.name).render(
        suites=suites,
        runs=runs,
        totals=totals,
        latest_run=runs[0] if runs else None,
        generated=generated,
        zone=ZONE_LABEL,
    )


def write_index(root: Path, *, now: dt.datetime | None = None) -> Path:
    """Render ``root/index.html`` from the site's store; written to a temporary file and renamed,
    so a reader never sees half a page."""
    suites, runs = read_site(root)
    page = render_index(suites, runs, now or dt.datetime.now(dt.UTC))
    index = root / "index.html"
    partial = root / ".index.html.tmp"
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, index)
    return index
