{#- Optional conversion to one reporting currency (docs/reports.md, "Currencies"); amounts
    keep their own currency everywhere else. -#}

{#- Conversion to var('hotmart_reporting_currency') with the user's daily rates
    (var('hotmart_exchange_rates'): rate_date, currency_code, rate). Uses the latest rate on or
    before the given date. Returns null when conversion is not configured or no rate exists:
    a missing rate must show as missing, not as zero. Pass qualified column names: inside
    the lookup an unqualified `currency_code` would be the rate table's own. -#}
{% macro hotmart_to_reporting(amount, currency_code, on_date) -%}
    {%- if var('hotmart_reporting_currency') and var('hotmart_exchange_rates') -%}
    case
        when {{ currency_code }} = '{{ var("hotmart_reporting_currency") }}' then {{ amount }}
        else {{ amount }} * (
            select fx.rate
            from {{ var('hotmart_exchange_rates') }} as fx
            where fx.currency_code = {{ currency_code }}
              and fx.rate_date <= {{ on_date }}
            order by fx.rate_date desc
            limit 1
        )
    end
    {%- else -%}
    cast(null as {{ hotmart_type_money() }})
    {%- endif -%}
{%- endmacro %}

{% macro hotmart_reporting_currency() -%}
    {%- if var('hotmart_reporting_currency') and var('hotmart_exchange_rates') -%}
    cast('{{ var("hotmart_reporting_currency") }}' as {{ dbt.type_string() }})
    {%- else -%}
    cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
