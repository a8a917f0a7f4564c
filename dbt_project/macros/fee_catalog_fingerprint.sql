{#-
    A fingerprint of the catalogue rows that make a dossier fee-bearing (kpi-decisions 9: the
    procedure's rows with CoPhiLePhi = 1 and their validity): an order-independent hash of
    them, as text. `fee_catalog_fingerprint_sql` is the scalar query (a per-dossier model stores
    its value in every row); `fee_catalog_fingerprint` runs it when the calling model is
    compiled (after `procedures` is built), for its incremental branch to compare with the
    stored value: kpi_dossier_flags recomputes every dossier when the two differ. The same SQL
    runs on DuckDB and Spark (each compares only with its own values).
-#}
{% macro fee_catalog_fingerprint_sql(procedures) -%}
    select cast(coalesce(bit_xor(hash(procedure_code, valid_from, valid_to)), 0) as string)
    from {{ procedures }}
    where has_fee
{%- endmacro %}

{% macro fee_catalog_fingerprint(procedures) -%}
    {{- return(run_query(fee_catalog_fingerprint_sql(procedures)).columns[0].values()[0] | string) -}}
{%- endmacro %}
