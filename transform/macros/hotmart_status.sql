{#- Hotmart purchase statuses grouped into the flags every report uses
    (docs/reports.md, "Statuses"). One place, so that the reports cannot disagree. -#}

{% macro hotmart_paid_statuses() %}('APPROVED', 'COMPLETE'){% endmacro %}
{% macro hotmart_refunded_statuses() %}('REFUNDED', 'PARTIALLY_REFUNDED'){% endmacro %}
{% macro hotmart_chargeback_statuses() %}('CHARGEBACK', 'PROTESTED'){% endmacro %}
{% macro hotmart_failed_statuses() %}('NO_FUNDS', 'BLOCKED', 'CANCELLED', 'EXPIRED'){% endmacro %}
{#- Billing types of Hotmart's instalment plans (one-time purchases billed monthly on the
    subscription engine): revenue, never recurring revenue (docs/reports.md, "Billing types"). -#}
{% macro hotmart_instalment_billing_types() %}('SMART_INSTALLMENT', 'SMART_RECOVERY'){% endmacro %}
{% macro hotmart_pending_statuses() -%}
    ('WAITING_PAYMENT', 'PRINTED_BILLET', 'UNDER_ANALISYS', 'PROCESSING_TRANSACTION',
     'OVERDUE', 'STARTED', 'PRE_ORDER')
{%- endmacro %}


{% macro hotmart_status_flags(status) -%}
    {{ status }} in {{ hotmart_paid_statuses() }} as is_paid,
    {{ status }} in {{ hotmart_refunded_statuses() }} as is_refunded,
    {{ status }} in {{ hotmart_chargeback_statuses() }} as is_chargeback,
    {{ status }} in {{ hotmart_failed_statuses() }} as is_failed,
    {{ status }} in {{ hotmart_pending_statuses() }} as is_pending,
    -- paid at some point: refunds and chargebacks only happen to approved payments
    {{ status }} in {{ hotmart_paid_statuses() }}
        or {{ status }} in {{ hotmart_refunded_statuses() }}
        or {{ status }} in {{ hotmart_chargeback_statuses() }} as is_approved
{%- endmacro %}

{#- Latest version of each key: target-postgres upserts, but the same model must also work on
    an append-only load, where every run adds a version of the row. -#}
{% macro hotmart_latest(relation, key_columns) -%}
    select *
    from (
        select distinct on ({{ key_columns | join(', ') }}) *
        from {{ relation }}
        order by {{ key_columns | join(', ') }}, _sdc_extracted_at desc nulls last,
            _sdc_sequence desc nulls last
    ) as latest_version
    -- soft deletes (ACTIVATE_VERSION on FULL_TABLE streams): the row left the source
    where _sdc_deleted_at is null
{%- endmacro %}
