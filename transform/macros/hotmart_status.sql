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

{#- Money that went back to the buyer in full (refunded, charged back, or held in a dispute):
    such an order keeps no net revenue and pays for no subscription period. -#}
{% macro hotmart_returned_statuses() -%}
    ('REFUNDED', 'CHARGEBACK', 'PROTESTED')
{%- endmacro %}

{#- A charge whose money stayed with the producer (a partial refund keeps most of it). -#}
{% macro hotmart_kept_statuses() -%}
    ('APPROVED', 'COMPLETE', 'PARTIALLY_REFUNDED')
{%- endmacro %}

{#- One status as an SQL literal, for the reports that count a single status. A name that is
    not one of Hotmart's purchase statuses fails the build instead of counting nothing. -#}
{% macro hotmart_status(name) -%}
    {%- set known = ['APPROVED', 'COMPLETE', 'REFUNDED', 'PARTIALLY_REFUNDED', 'CHARGEBACK', 'PROTESTED',
                     'NO_FUNDS', 'BLOCKED', 'CANCELLED', 'EXPIRED', 'WAITING_PAYMENT', 'PRINTED_BILLET',
                     'UNDER_ANALISYS', 'PROCESSING_TRANSACTION', 'OVERDUE', 'STARTED', 'PRE_ORDER'] -%}
    {%- if name not in known -%}
        {{ exceptions.raise_compiler_error("hotmart_status: '" ~ name ~ "' is not a Hotmart purchase status (" ~ known | join(', ') ~ ")") }}
    {%- endif -%}
    '{{ name }}'
{%- endmacro %}

{#- Subscription statuses (a different list from the purchase statuses above). A subscription
    ended by the buyer or the seller churned voluntarily; one Hotmart ended, or that stopped
    paying, involuntarily (docs/reports.md, "MRR and churn"). -#}
{% macro hotmart_active_subscription_statuses() %}('ACTIVE'){% endmacro %}
{% macro hotmart_voluntary_cancel_statuses() %}('CANCELLED_BY_CUSTOMER', 'CANCELLED_BY_SELLER'){% endmacro %}
{% macro hotmart_involuntary_end_statuses() %}('CANCELLED_BY_ADMIN', 'OVERDUE', 'DELAYED'){% endmacro %}
{% macro hotmart_cancelled_subscription_statuses() -%}
    ('CANCELLED_BY_CUSTOMER', 'CANCELLED_BY_SELLER', 'CANCELLED_BY_ADMIN')
{%- endmacro %}
