{#- 数据精准率 and 报送及时率 roll up as the indicators do: the counts of the level below summed, the rates
    recomputed from the sums (never an average of rates). One list of counts for every level. -#}
{#- The summed counts, for a `group by` over `relation` (its rows one level below). -#}
{% macro data_quality_sums(relation) -%}
  {%- for column in ['batch_count', 'received_count', 'accepted_count', 'rejected_count',
                     'accepted_version_count', 'on_time_version_count'] %}
        sum({{ relation }}.{{ column }}) as {{ column }}{{ "," if not loop.last }}
  {%- endfor %}
{%- endmacro %}

{#- The counts and the two rates recomputed from them, in the order every data-quality mart shows them. -#}
{% macro data_quality_columns() -%}
    batch_count,
    received_count,
    accepted_count,
    rejected_count,
    {{ safe_ratio('accepted_count', 'received_count') }} as accuracy_rate,
    accepted_version_count,
    on_time_version_count,
    {{ safe_ratio('on_time_version_count', 'accepted_version_count') }} as timeliness_rate
{%- endmacro %}
