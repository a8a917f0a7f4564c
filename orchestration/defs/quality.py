"""Data-quality checks (Great Expectations, quality) as Dagster asset checks.

One multi-check step per validated asset runs that asset's suite inside DuckDB through the
``warehouse`` resource (opened for the step, closed after it), records one row per check in
``dq.check_results`` and refreshes the Data Docs next to the warehouse. Blocking checks fail
with ERROR severity, which stops everything downstream of their asset and fails the run; the
others warn. Each result carries the counts, a sample of failing rows and its Data Docs page.
"""

import dagster as dg

from orchestration.lib.resources import WarehouseResource
from quality import SUITES, CheckOutcome, Suite, validate_and_record

# Checks that read other assets besides the one they are about (reconciliation).
ADDITIONAL_DEPS: dict[tuple[str, str], list[dg.AssetKey]] = {
    ("marts.fct_dossiers", "postal_results_have_shipment"): [dg.AssetKey(["marts", "fct_postal_shipments"])],
    ("kpi.kpi_yearly", "indicators_complete"): [dg.AssetKey(["marts", "dim_indicators"])],
}


def check_specs(suite: Suite) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=check.name,
            asset=dg.AssetKey(list(suite.asset)),
            blocking=check.blocking,
            description=f"{'Blocking' if check.blocking else 'Warning'}: {check.rule}.",
            additional_deps=ADDITIONAL_DEPS.get((suite.name, check.name), []),
            metadata={"severity": check.severity, "gx_suite": suite.name},
        )
        for check in suite.checks
    ]


def check_result(outcome: CheckOutcome) -> dg.AssetCheckResult:
    metadata: dict[str, dg.MetadataValue] = {
        "evaluated": dg.MetadataValue.int(outcome.evaluated_count),
        "unexpected": dg.MetadataValue.int(outcome.unexpected_count),
        "sample": dg.MetadataValue.json(outcome.sample),
        "expectations": dg.MetadataValue.json([e.as_dict() for e in outcome.expectations]),
    }
    if outcome.unexpected_fraction is not None:
        metadata["unexpected_fraction"] = dg.MetadataValue.float(round(outcome.unexpected_fraction, 6))
    if outcome.check.threshold is not None:
        metadata["threshold"] = dg.MetadataValue.float(outcome.check.threshold)
    if outcome.data_docs:
        metadata["data_docs"] = dg.MetadataValue.url(outcome.data_docs)
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(list(outcome.suite.asset)),
        check_name=outcome.check.name,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR if outcome.check.blocking else dg.AssetCheckSeverity.WARN,
        description=outcome.summary(),
        metadata=metadata,
    )


def build_quality_checks(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        specs=check_specs(suite),
        name=f"quality_{'_'.join(suite.asset)}",
        description=f"Great Expectations suite `{suite.name}` on {suite.description}.",
        can_subset=True,
    )
    def _quality(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        selected = {key.name for key in context.selected_asset_check_keys}
        with warehouse.get_connection() as con:
            outcomes = validate_and_record(
                con, suite, run_id=context.run.run_id, warehouse=warehouse.path, checks=sorted(selected)
            )
        for outcome in outcomes:
            if not outcome.success:
                log = context.log.error if outcome.check.blocking else context.log.warning
                log(f"{suite.asset_path}: {outcome.check.name} failed — {outcome.summary()}")
            yield check_result(outcome)

    return _quality


quality_checks = [build_quality_checks(suite) for suite in SUITES]

defs = dg.Definitions(asset_checks=quality_checks)
