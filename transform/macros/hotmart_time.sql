{#- Time helpers. Hotmart sends epoch milliseconds inside its nested objects, target-postgres
    writes the tap's top-level date-times as `timestamp without time zone` holding UTC, and
    reports cut days in var('hotmart_timezone'). Everything becomes `timestamptz` in staging so
    that a single `at time zone` does the bucketing right (a naive UTC timestamp given straight
    to `at time zone '<zone>'` would shift the wrong way). -#}

{% macro hotmart_ms_to_timestamp(expression) -%}
    to_timestamp(({{ expression }})::numeric / 1000.0)
{%- endmacro %}

{% macro hotmart_utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{% macro hotmart_local_date(timestamptz_expression) -%}
    ({{ timestamptz_expression }} at time zone '{{ var("hotmart_timezone") }}')::date
{%- endmacro %}

{% macro hotmart_local_trunc(part, timestamptz_expression) -%}
    date_trunc('{{ part }}', {{ timestamptz_expression }} at time zone '{{ var("hotmart_timezone") }}')::date
{%- endmacro %}

{#- The instant that closes a local calendar day/month given as a date, as timestamptz. -#}
{% macro hotmart_local_midnight(date_expression) -%}
    (({{ date_expression }})::timestamp at time zone '{{ var("hotmart_timezone") }}')
{%- endmacro %}
