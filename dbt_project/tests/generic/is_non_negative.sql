{#- Counts (and other quantities that cannot go below zero); NULL is allowed. -#}
{% test is_non_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
