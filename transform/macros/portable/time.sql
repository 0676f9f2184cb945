{#- Time. Hotmart sends epoch milliseconds inside its nested objects; the loaders write the
    tap's top-level date-times as timestamps without a zone holding UTC. Everything becomes a
    timestamp with time zone in staging, so that reports cut days and months in
    var('hotmart_timezone') with one conversion (a naive UTC timestamp converted straight to
    '<zone>' would shift the wrong way). PostgreSQL and DuckDB (ICU) share the SQL standard's
    AT TIME ZONE, so the defaults serve both. -#}

{#- A naive timestamp holding UTC, as a timestamp with time zone. -#}
{% macro hotmart_utc(column) -%}
    {{ return(adapter.dispatch('hotmart_utc', 'hotmart')(column)) }}
{%- endmacro %}

{% macro default__hotmart_utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}


{#- Epoch milliseconds (a number or its text) as a timestamp with time zone. -#}
{% macro hotmart_ms_to_timestamp(expression) -%}
    {{ return(adapter.dispatch('hotmart_ms_to_timestamp', 'hotmart')(expression)) }}
{%- endmacro %}

{% macro default__hotmart_ms_to_timestamp(expression) -%}
    to_timestamp(cast({{ expression }} as {{ dbt.type_numeric() }}) / 1000.0)
{%- endmacro %}

{#- numeric, not double: the milliseconds stay exact. -#}
{% macro postgres__hotmart_ms_to_timestamp(expression) -%}
    to_timestamp(cast({{ expression }} as numeric) / 1000.0)
{%- endmacro %}

{#- epoch_ms is exact to the millisecond (to_timestamp would go through a double). -#}
{% macro duckdb__hotmart_ms_to_timestamp(expression) -%}
    {{ hotmart_utc('epoch_ms(cast(' ~ expression ~ ' as bigint))') }}
{%- endmacro %}


{#- The local calendar date (var('hotmart_timezone')) of a timestamp with time zone. -#}
{% macro hotmart_local_date(timestamptz_expression) -%}
    {{ return(adapter.dispatch('hotmart_local_date', 'hotmart')(timestamptz_expression)) }}
{%- endmacro %}

{% macro default__hotmart_local_date(timestamptz_expression) -%}
    cast(({{ timestamptz_expression }} at time zone '{{ var("hotmart_timezone") }}') as date)
{%- endmacro %}


{#- The first local day of the week (Monday) or month of a timestamp with time zone. -#}
{% macro hotmart_local_trunc(part, timestamptz_expression) -%}
    {{ return(adapter.dispatch('hotmart_local_trunc', 'hotmart')(part, timestamptz_expression)) }}
{%- endmacro %}

{% macro default__hotmart_local_trunc(part, timestamptz_expression) -%}
    cast(date_trunc('{{ part }}', {{ timestamptz_expression }} at time zone '{{ var("hotmart_timezone") }}') as date)
{%- endmacro %}


{#- The instant a local calendar day given as a date begins, as a timestamp with time zone. -#}
{% macro hotmart_local_midnight(date_expression) -%}
    {{ return(adapter.dispatch('hotmart_local_midnight', 'hotmart')(date_expression)) }}
{%- endmacro %}

{% macro default__hotmart_local_midnight(date_expression) -%}
    (cast({{ date_expression }} as timestamp) at time zone '{{ var("hotmart_timezone") }}')
{%- endmacro %}


{#- A snapshot's dbt_valid_from/dbt_valid_to as a timestamp with time zone. -#}
{% macro hotmart_snapshot_instant(column) -%}
    {{ return(adapter.dispatch('hotmart_snapshot_instant', 'hotmart')(column)) }}
{%- endmacro %}

{% macro default__hotmart_snapshot_instant(column) -%}
    cast({{ column }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- dbt-postgres writes the server's local wall-clock time, without a zone. -#}
{% macro postgres__hotmart_snapshot_instant(column) -%}
    ({{ column }} at time zone current_setting('TimeZone'))
{%- endmacro %}


{#- A FROM-clause item: one row per day from `start_date` to `end_date` (dates, both
    included), the day in a date column named `alias`. -#}
{% macro hotmart_date_series(start_date, end_date, alias) -%}
    {{ return(adapter.dispatch('hotmart_date_series', 'hotmart')(start_date, end_date, alias)) }}
{%- endmacro %}

{% macro default__hotmart_date_series(start_date, end_date, alias) -%}
    unnest(generate_date_array({{ start_date }}, {{ end_date }})) as {{ alias }}
{%- endmacro %}

{% macro postgres__hotmart_date_series(start_date, end_date, alias) -%}
    lateral (
        select cast(series_day as date) as {{ alias }}
        from generate_series({{ start_date }}, {{ end_date }}, interval '1 day') as series_day
    ) as {{ alias }}_series
{%- endmacro %}

{% macro duckdb__hotmart_date_series(start_date, end_date, alias) -%}
    lateral (
        select cast(series.series_day as date) as {{ alias }}
        from generate_series(
            cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day
        ) as series(series_day)
    ) as {{ alias }}_series
{%- endmacro %}


{#- Microseconds from `start_at` to `end_at` (timestamps with time zone), as an integer. -#}
{% macro hotmart_duration_us(start_at, end_at) -%}
    {{ return(adapter.dispatch('hotmart_duration_us', 'hotmart')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__hotmart_duration_us(start_at, end_at) -%}
    {{ dbt.datediff(start_at, end_at, 'microsecond') }}
{%- endmacro %}

{% macro postgres__hotmart_duration_us(start_at, end_at) -%}
    cast(extract(epoch from ({{ end_at }} - {{ start_at }})) * 1000000 as bigint)
{%- endmacro %}

{% macro duckdb__hotmart_duration_us(start_at, end_at) -%}
    (epoch_us({{ end_at }}) - epoch_us({{ start_at }}))
{%- endmacro %}
