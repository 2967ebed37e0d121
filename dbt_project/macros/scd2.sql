{#- A snapshot version's validity as dates, the same in every SCD2 dimension. -#}
{% macro scd2_validity(alias) -%}
    cast({{ alias }}.dbt_valid_from as date) as valid_from,
    cast({{ alias }}.dbt_valid_to as date) as valid_to,
    {{ alias }}.dbt_valid_to is null as is_current
{%- endmacro %}
