{#- Place a record in the region and 执法领域 its 执法主体 had when it acted: the body's version in force
    on `date_expression`, else its current version. SCD2 versions never overlap, so the dated join
    matches at most one version; both are equi-joins on the body, which every engine hashes.
    Use: `from records {{ entity_version_joins('records', 'records.decision_date') }}`, then
    `{{ entity_at('city_code') }}` for a column. -#}
{% macro entity_version_joins(records_alias, date_expression) -%}
  left join {{ ref('int_entity_versions_dated') }} as entity_dated
    on entity_dated.entity_id = {{ records_alias }}.entity_id
    and entity_dated.valid_from <= {{ date_expression }}
    and (entity_dated.valid_to is null or entity_dated.valid_to > {{ date_expression }})
  left join {{ ref('int_entity_versions_dated') }} as entity_current
    on entity_current.entity_id = {{ records_alias }}.entity_id
    and entity_current.is_current
{%- endmacro %}

{% macro entity_at(column) -%}
  coalesce(entity_dated.{{ column }}, entity_current.{{ column }})
{%- endmacro %}
