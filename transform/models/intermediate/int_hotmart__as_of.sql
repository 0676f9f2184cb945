{#- The instant the data describes (one row). Reports must not use the wall clock: a load of
    last month's data (or the emulator, whose clock is fixed) would otherwise show empty
    recent periods. var('hotmart_as_of') (an ISO timestamp in UTC) overrides it. -#}

with order_range as (

    select min(order_at) as first_order_at, max(order_at) as latest_order_at
    from {{ ref('int_hotmart__sales') }}

),

as_of as (

    select
        {% if var('hotmart_as_of') -%}
        {{ hotmart_utc("cast('" ~ var('hotmart_as_of') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
        {%- else -%}
        coalesce(latest_order_at, current_timestamp)
        {%- endif %}                                        as as_of_at,
        first_order_at
    from order_range

)

select
    as_of_at,
    {{ hotmart_local_date('as_of_at') }}                    as as_of_date,
    {{ hotmart_local_date('first_order_at') }}              as first_order_date
from as_of
