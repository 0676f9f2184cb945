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
    day::date                                           as date_day,
    date_trunc('week', day)::date                       as date_week,
    date_trunc('month', day)::date                      as date_month,
    date_trunc('year', day)::date                       as date_year,
    (day::date - bounds.first_day)                      as date_index
from bounds
cross join lateral generate_series(bounds.first_day, bounds.last_day, interval '1 day') as day
