{#- JSON inside the raw tables: target-postgres lands the tap's nested objects and arrays as
    `jsonb`, target-duckdb as `JSON`. `path` is a dotted key path ('offer.code'); the result is
    text (null when a key is missing), cast by the caller. -#}

{% macro hotmart_json_text(column, path) -%}
    {{ return(adapter.dispatch('hotmart_json_text', 'hotmart')(column, path)) }}
{%- endmacro %}

{#- SQL/JSON standard (BigQuery's JSON_VALUE has the same form). -#}
{% macro default__hotmart_json_text(column, path) -%}
    json_value({{ column }}, '$.{{ path }}')
{%- endmacro %}

{% macro postgres__hotmart_json_text(column, path) -%}
    {%- set keys = path.split('.') -%}
    {{ column }}{% for key in keys[:-1] %} -> '{{ key }}'{% endfor %} ->> '{{ keys[-1] }}'
{%- endmacro %}

{% macro duckdb__hotmart_json_text(column, path) -%}
    json_extract_string({{ column }}, '$.{{ path }}')
{%- endmacro %}


{#- A FROM-clause item with one row per element of the JSON array `column` (none when the
    column is null or not an array), each element a JSON value named `alias`:
    `from parent cross join {{ hotmart_json_array_elements('parent.lines', 'line') }}`. -#}

{% macro hotmart_json_array_elements(column, alias) -%}
    {{ return(adapter.dispatch('hotmart_json_array_elements', 'hotmart')(column, alias)) }}
{%- endmacro %}

{% macro default__hotmart_json_array_elements(column, alias) -%}
    unnest(json_query_array({{ column }})) as {{ alias }}
{%- endmacro %}

{% macro postgres__hotmart_json_array_elements(column, alias) -%}
    lateral jsonb_array_elements(
        case when jsonb_typeof({{ column }}) = 'array' then {{ column }} else '[]'::jsonb end
    ) as {{ alias }}
{%- endmacro %}

{% macro duckdb__hotmart_json_array_elements(column, alias) -%}
    unnest(
        case when json_type({{ column }}) = 'ARRAY' then json_extract({{ column }}, '$[*]') end
    ) as {{ alias }}_elements({{ alias }})
{%- endmacro %}
