"""An independent reference implementation of the indicator definitions (`docs/indicators.md`).

Written from the contracts (and docs/kpi-decisions.md) alone, in plain Python, without
reading the dbt project, so that a misreading on either side shows up as a difference:

- `raw`: the loader's raw tables as plain rows;
- `precedence`: the dedupe and precedence rules of sources.md, successor resolution;
- `dossiers`: the dossier facts;
- `windows`: years, months, quarters, year-to-date windows;
- `indicators`: the 19 indicators over a window, with the rules for which rows exist;
- `tables`: `kpi_yearly`, `kpi_periodic`, `kpi_targets`;
- `targets_file`: an independent parser of `catalog/targets.csv` with its reject rules;
- `compare`: row-for-row comparison with a published table.
"""
