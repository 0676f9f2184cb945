{#- One row per key. -#}

{#- The first row of each `partition_by` group of `relation` (a relation or a CTE name) in
    `order_by` order, with the relation's columns only. PostgreSQL keeps DISTINCT ON: one
    sort, no window (benchmarks/README.md: the wide staging models are the slowest nodes);
    elsewhere QUALIFY (DuckDB, Snowflake, BigQuery; `where true` is what BigQuery asks for). -#}
{% macro hotmart_first_row(relation, partition_by, order_by) -%}
    {{ return(adapter.dispatch('hotmart_first_row', 'hotmart')(relation, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__hotmart_first_row(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    where true
    qualify row_number() over (
        partition by {{ partition_by | join(', ') }} order by {{ order_by | join(', ') }}
    ) = 1
{%- endmacro %}

{% macro postgres__hotmart_first_row(relation, partition_by, order_by) -%}
    select distinct on ({{ partition_by | join(', ') }}) *
    from {{ relation }}
    order by {{ partition_by | join(', ') }}, {{ order_by | join(', ') }}
{%- endmacro %}


{#- Latest version of each key of a raw table: target-postgres and target-duckdb upsert, but
    the same model must also work on an append-only load, where every run adds a version of
    the row. The newest extraction wins; target-postgres also writes _sdc_sequence, the
    order of the messages within one extraction, which breaks ties when present. A version
    soft-deleted by ACTIVATE_VERSION (FULL_TABLE streams) means the row left the source. -#}
{% macro hotmart_latest(relation, key_columns) -%}
    select *
    from (
        {{ hotmart_first_row(relation, key_columns, hotmart_version_order(relation)) }}
    ) as latest_version
    where _sdc_deleted_at is null
{%- endmacro %}

{#- The newest-first order of a raw table's versions, from the metadata columns its loader
    wrote (looked up in the warehouse; while dbt only parses, the columns every loader has). -#}
{% macro hotmart_version_order(relation) -%}
    {%- set order = ['_sdc_extracted_at desc nulls last'] -%}
    {%- if execute and relation is not string -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if '_sdc_sequence' in names -%}
            {%- do order.append('_sdc_sequence desc nulls last') -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(order) }}
{%- endmacro %}

{#- The version columns of a raw table under loader-independent names, for a staging view
    whose versions are compared after a union or a pivot (int_hotmart__sales): when the
    row was extracted, its message order within that extraction (null without
    _sdc_sequence), and whether the version is a soft delete. -#}
{% macro hotmart_version_columns(relation) -%}
    {%- set has_sequence = '_sdc_sequence desc nulls last' in hotmart_version_order(relation) -%}
    _sdc_extracted_at                                                   as version_extracted_at,
    {{ '_sdc_sequence' if has_sequence else 'cast(null as ' ~ dbt.type_bigint() ~ ')' }}
                                                                        as version_sequence,
    _sdc_deleted_at is not null                                         as is_deleted_version
{%- endmacro %}

{#- A key of several columns as one string ('acct-1:HP123'), the grain of a model in one
    column. Casts first: only PostgreSQL and DuckDB concatenate numbers and dates to text. -#}
{% macro hotmart_key(columns) -%}
    {%- for column in columns -%}
        cast({{ column }} as {{ dbt.type_string() }}){% if not loop.last %} || ':' || {% endif %}
    {%- endfor -%}
{%- endmacro %}
