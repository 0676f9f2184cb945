{#- One row per sale (account_id, transaction_id) with its commission split pivoted by role,
    from the latest version of its commission lines.

    A role's amount is summed only when its currency equals the producer's commission currency
    (`commission_currency_code`); a line in another currency is counted in
    `other_currency_commission_lines` instead of being added silently. -#}

with latest_version as (

    {{ hotmart_first_row(
        ref('stg_hotmart__sale_commissions'),
        ['sale_key'],
        ['version_extracted_at desc nulls last', 'version_sequence desc nulls last']
    ) }}

),

commission_lines as (

    select
        latest_version.sale_key,
        upper({{ hotmart_json_text('line', 'commission.currency_value') }})  as currency_code,
        {{ hotmart_amount('line', 'commission.value') }}                     as amount,
        upper({{ hotmart_json_text('line', 'source') }})                     as source,
        {{ hotmart_json_text('line', 'user.ucode') }}                        as user_ucode,
        {{ hotmart_json_text('line', 'user.name') }}                         as user_name
    from latest_version
    cross join {{ hotmart_json_array_elements('latest_version.commission_lines', 'line') }}

),

sale_currency as (

    select
        sale_key,
        coalesce(
            max(case when source = 'PRODUCER' then currency_code end),
            max(currency_code)
        ) as commission_currency_code
    from commission_lines
    group by 1

)


select
    latest_version.sale_key,
    latest_version.account_id,
    latest_version.transaction_id,
    max(sale_currency.commission_currency_code)                         as commission_currency_code,
    cast(max(latest_version.exchange_rate_currency_payout) as {{ hotmart_type_money() }})
                                                                        as exchange_rate_currency_payout,
    {%- for role in ['PRODUCER', 'COPRODUCER', 'AFFILIATE', 'ADDON'] %}
    coalesce(sum(case when lines.source = '{{ role }}'
        and lines.currency_code = sale_currency.commission_currency_code then lines.amount end), 0)
                                                                        as {{ role | lower }}_commission_amount,
    {%- endfor %}
    count(case when lines.currency_code is distinct from sale_currency.commission_currency_code
        then lines.amount end)
                                                                        as other_currency_commission_lines,
    max(case when lines.source = 'AFFILIATE' then lines.user_ucode end)  as affiliate_ucode,
    max(case when lines.source = 'AFFILIATE' then lines.user_name end)   as affiliate_name,
    max(case when lines.source = 'COPRODUCER' then lines.user_ucode end) as coproducer_ucode,
    max(case when lines.source = 'COPRODUCER' then lines.user_name end)  as coproducer_name
from latest_version
left join sale_currency
    on sale_currency.sale_key = latest_version.sale_key
left join commission_lines as lines
    on lines.sale_key = latest_version.sale_key
where not latest_version.is_deleted_version
group by 1, 2, 3
