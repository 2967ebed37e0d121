{#- The version of each record's 执法主体 in force on `date_expression` (columns as records.<name>) (else its current version):
    a case is placed in the region and 执法领域 the body had when it acted. -#}
{% macro entity_version_at(records, id_column, date_expression) -%}
  select picked.* from (
    select
      records.{{ id_column }} as record_id,
      versions.entity_version_id,
      versions.entity_name,
      versions.division_code,
      versions.city_code,
      versions.county_code,
      versions.enforcement_domain,
      row_number() over (
        partition by records.{{ id_column }}
        order by
          case when versions.valid_from <= ({{ date_expression }})
                and (versions.valid_to is null or versions.valid_to > ({{ date_expression }})) then 0 else 1 end,
          case when versions.is_current then 0 else 1 end,
          versions.valid_from desc
      ) as pick
    from {{ records }} as records
    inner join {{ ref('int_entity_versions_dated') }} as versions on versions.entity_id = records.entity_id
  ) as picked
  where picked.pick = 1
{%- endmacro %}
