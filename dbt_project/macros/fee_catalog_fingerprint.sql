{#-
    A fingerprint of the catalogue rows that make a dossier fee-bearing (kpi-decisions 9: the
    procedure's rows with CoPhiLePhi = 1 and their validity): the md5 of those rows as text,
    sorted, so that it does not depend on their order. `fee_catalog_fingerprint_sql` is the
    scalar query (a per-dossier model stores its value in every row); `fee_catalog_fingerprint`
    runs it when the calling model is compiled (after `procedures` is built), for its incremental
    branch to compare with the stored value: kpi_dossier_flags recomputes every dossier when the
    two differ.

    Not a bit_xor of hash() as before: DuckDB's hash() of these codes collides (measured on the
    bench data: '000.00.12.H33-160111-00010' and '000.00.02.H33-180111-00110' hash alike, alone
    and in a tuple with the same dates), and a XOR cancels equal hashes, so a catalogue change
    adding two such rows left the fingerprint as it was and the flags stale.
-#}
{% macro fee_catalog_fingerprint_sql(procedures) -%}
    {{- return(adapter.dispatch('fee_catalog_fingerprint_sql', 'parkpi')(procedures)) -}}
{%- endmacro %}

{#- One fee-bearing catalogue row as text: code|valid_from|valid_to ('' for NULL). -#}
{% macro fee_catalog_row_text() -%}
    concat_ws(
        '|',
        procedure_code,
        coalesce(cast(valid_from as string), ''),
        coalesce(cast(valid_to as string), '')
    )
{%- endmacro %}

{% macro default__fee_catalog_fingerprint_sql(procedures) -%}
    select md5(coalesce(string_agg(row_text, ',' order by row_text), ''))
    from (select {{ fee_catalog_row_text() }} as row_text from {{ procedures }} where has_fee) as fee_rows
{%- endmacro %}

{% macro spark__fee_catalog_fingerprint_sql(procedures) -%}
    select md5(concat_ws(',', array_sort(collect_list(row_text))))
    from (select {{ fee_catalog_row_text() }} as row_text from {{ procedures }} where has_fee) as fee_rows
{%- endmacro %}

{% macro fee_catalog_fingerprint(procedures) -%}
    {{- return(run_query(fee_catalog_fingerprint_sql(procedures)).columns[0].values()[0] | string) -}}
{%- endmacro %}
