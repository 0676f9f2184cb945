{#- One row per calendar day in var('hotmart_timezone'), from the first order (or
    var('hotmart_spine_start_date')) to the as-of date, so that days without sales exist. -#}

with bounds as (

    select
        {% if var('hotmart_spine_start_date') -%}
        cast('{{ var("hotmart_spine_start_date") }}' as date)
        {%- else -%}
        coalesce(first_order_date, as_of_date)
        {%- endif %}                                    as first_day,
        as_of_date                                      as last_day
    from {{ ref('int_hotmart__as_of') }}

)

select
    date_day,
    cast({{ dbt.date_trunc('week', 'date_day') }} as date)      as date_week,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date)     as date_month,
    cast({{ dbt.date_trunc('year', 'date_day') }} as date)      as date_year,
    {{ dbt.datediff('bounds.first_day', 'date_day', 'day') }}   as date_index
from bounds
cross join {{ hotmart_date_series('bounds.first_day', 'bounds.last_day', 'date_day') }}
