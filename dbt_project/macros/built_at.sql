{#-
    `_built_at` of the per-dossier incremental models (fct_dossiers, kpi_dossier_flags,
    kpi_dossier_sources, kpi_dossier_lineage): when the dbt command that wrote the row started.
    A full refresh writes one value on every row; an incremental build writes it on the rows it
    recomputed (delete+insert). Their data tests check the rows of the latest build only
    (column_rules' `latest_build`): a check that costs what the month costs, not the history.
-#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}
