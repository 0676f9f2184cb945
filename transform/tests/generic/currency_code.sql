{#- An amount's currency must be a 3-letter ISO-4217 code whenever the amount is set. -#}
{% test currency_code(model, column_name, amount_column=none) %}
select {{ column_name }}
from {{ model }}
where ({{ column_name }} is not null and {{ column_name }} !~ '^[A-Z]{3}$')
{%- if amount_column %}
   or ({{ amount_column }} is not null and {{ column_name }} is null)
{%- endif %}
{% endtest %}
