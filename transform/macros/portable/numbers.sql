{#- Money and ratios. Amounts stay exact decimals; every amount travels with its currency code
    and nothing here ever adds two currencies together. -#}

{#- The type of every amount. DuckDB's bare NUMERIC is DECIMAL(18,3), which would round
    Hotmart's amounts and rates: 38 digits with 6 decimals hold any amount Hotmart sends
    (cents, and the 4-6 decimals of exchange rates). -#}
{% macro hotmart_type_money() -%}
    {{ return(adapter.dispatch('hotmart_type_money', 'hotmart')()) }}
{%- endmacro %}

{% macro default__hotmart_type_money() -%}
    decimal(38, 6)
{%- endmacro %}

{% macro postgres__hotmart_type_money() -%}
    numeric
{%- endmacro %}


{#- An amount inside a JSON money object ({"value": 12.3, "currency_code": "BRL"}). -#}
{% macro hotmart_amount(json_expression, key='value') -%}
    cast(nullif({{ hotmart_json_text(json_expression, key) }}, '') as {{ hotmart_type_money() }})
{%- endmacro %}


{#- numerator / denominator rounded half away from zero to `digits` decimals, exactly; null
    when the denominator is 0. PostgreSQL divides numerics exactly. DuckDB divides decimals
    as doubles, where 0.15 / 2 is 0.07499999... and would round to 0.07: the quotient is
    computed in integers there (scaled to 6 decimals, as hotmart_type_money). -#}
{% macro hotmart_divide(numerator, denominator, digits) -%}
    {{ return(adapter.dispatch('hotmart_divide', 'hotmart')(numerator, denominator, digits)) }}
{%- endmacro %}

{% macro default__hotmart_divide(numerator, denominator, digits) -%}
    round(cast({{ numerator }} as {{ hotmart_type_money() }}) / nullif({{ denominator }}, 0), {{ digits }})
{%- endmacro %}

{% macro postgres__hotmart_divide(numerator, denominator, digits) -%}
    round(cast({{ numerator }} as numeric) / nullif({{ denominator }}, 0), {{ digits }})
{%- endmacro %}

{% macro duckdb__hotmart_divide(numerator, denominator, digits) -%}
    {%- set n = 'cast(cast(' ~ numerator ~ ' as decimal(38, 6)) * 1000000 as hugeint)' -%}
    {%- set d = 'cast(cast(nullif(' ~ denominator ~ ', 0) as decimal(38, 6)) * 1000000 as hugeint)' -%}
    cast(
        sign({{ n }}) * sign({{ d }})
        * ((2 * abs({{ n }}) * {{ 10 ** digits }} + abs({{ d }})) // (2 * abs({{ d }})))
        * cast('{{ '%.*f' | format(digits, 10 ** -digits) }}' as decimal(38, {{ digits }}))
        as decimal(38, {{ digits }})
    )
{%- endmacro %}


{#- true when `condition` holds on every row with a value (null on none). -#}
{% macro hotmart_bool_and(condition) -%}
    {{ return(adapter.dispatch('hotmart_bool_and', 'hotmart')(condition)) }}
{%- endmacro %}

{% macro default__hotmart_bool_and(condition) -%}
    (min(case when {{ condition }} then 1 when not ({{ condition }}) then 0 end) = 1)
{%- endmacro %}

{% macro postgres__hotmart_bool_and(condition) -%}
    bool_and({{ condition }})
{%- endmacro %}

{% macro duckdb__hotmart_bool_and(condition) -%}
    bool_and({{ condition }})
{%- endmacro %}


{#- Per-model session settings, run as every model's pre-hook. PostgreSQL: the wide
    deduplication sorts spill to disk with the default 4 MB of sort memory; `set local` lasts
    for the model's own transaction (benchmarks/README.md, benchmark 4: dbt build 39.8/38.5 s
    -> 35.0/30.9 s at 100,000 sales). Other warehouses: nothing. -#}
{% macro hotmart_session_tuning() -%}
    {{ return(adapter.dispatch('hotmart_session_tuning', 'hotmart')()) }}
{%- endmacro %}

{% macro default__hotmart_session_tuning() -%}
{%- endmacro %}

{% macro postgres__hotmart_session_tuning() -%}
    set local work_mem = '64MB'
{%- endmacro %}
