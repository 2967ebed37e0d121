{#- A later record with the same natural key supersedes the earlier one (standard.md §1): the latest
    更新时间 wins, then the later batch, then the later row of that batch. -#}
{% macro latest_versions(relation, keys) -%}
  select ranked.*
  from (
    select
      source_rows.*,
      row_number() over (
        partition by {% for key in keys %}"{{ key }}"{% if not loop.last %}, {% endif %}{% endfor %}
        order by "GXSJ" desc nulls last, received_at desc, batch_id desc, row_number desc
      ) as version_rank,
      count(*) over (
        partition by {% for key in keys %}"{{ key }}"{% if not loop.last %}, {% endif %}{% endfor %}
      ) as version_count
    from {{ relation }} as source_rows
  ) as ranked
  where ranked.version_rank = 1
{%- endmacro %}

{#- Where a record came from in the lake, the same four columns in every staging model of a reported entity. -#}
{% macro lake_provenance() -%}
    batch_id,
    row_number as record_number,
    unit as submitted_by,
    {{ text_timestamp('received_at') }} as received_at
{%- endmacro %}
