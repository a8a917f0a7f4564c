{#-
    NOT NULL for several columns of a model in one test (one scan, one dbt node): the
    per-column `not_null` tests cost dbt about 0.05 s of overhead each, 78 of them the
    better part of an incremental build's fixed cost. A failing row shows which columns
    are null.
-#}
{% test not_null_columns(model, columns) %}

select {{ columns | join(', ') }}
from {{ model }}
where
    {% for column in columns -%}
    {{ column }} is null{% if not loop.last %} or {% endif %}
    {% endfor %}

{% endtest %}
