{#- The instant the data describes (one row). Reports must not use the wall clock: a load of
    last month's data (or the emulator, whose clock is fixed) would otherwise show empty
    recent periods. var('hotmart_as_of') overrides it. -#}

select
    {% if var('hotmart_as_of') -%}
    cast('{{ var("hotmart_as_of") }}' as timestamp) at time zone 'UTC'  as as_of_at
    {%- else -%}
    coalesce(max(order_at), current_timestamp)                        as as_of_at
    {%- endif %},
    {{ hotmart_local_date("coalesce(max(order_at), current_timestamp)") if not var('hotmart_as_of')
       else hotmart_local_date("cast('" ~ var('hotmart_as_of') ~ "' as timestamp) at time zone 'UTC'") }}
                                                                      as as_of_date,
    min({{ hotmart_local_date('order_at') }})                           as first_order_date
from {{ ref('stg_hotmart__sales') }}
