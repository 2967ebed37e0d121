{#- The §6 rates from their counts, one definition for the body grain, the year grain and every roll-up. -#}
{% macro indicator_rates() -%}
    {{ safe_ratio('certified_officer_count', 'officer_count') }} as certification_rate,
    {{ safe_ratio('legal_review_done_count', 'legal_review_required_count') }} as legal_review_rate,
    {{ safe_ratio('overdue_case_count', 'ordinary_procedure_count') }} as overdue_rate,
    {{ safe_ratio('publicity_on_time_count', 'publicity_due_count') }} as publicity_timeliness_rate,
    {{ safe_ratio('reconsideration_corrected_count', 'reconsidered_count') }} as reconsideration_correction_rate,
    {{ safe_ratio('reviewed_file_pass_count', 'reviewed_file_count') }} as review_pass_rate,
    {{ safe_ratio('reviewed_file_excellent_count', 'reviewed_file_count') }} as review_excellent_rate
{%- endmacro %}

{#- Stocks: taken at the period's end (持证率's officers), summed over bodies but never over months. -#}
{% macro indicator_stock_columns() -%}
  {{ return(['officer_count', 'certified_officer_count']) }}
{%- endmacro %}

{#- Flows: counts of what happened in the period, additive over bodies and over months. -#}
{% macro indicator_flow_columns() -%}
  {{ return(['penalty_case_count', 'summary_procedure_count', 'ordinary_procedure_count', 'forfeiture_amount_wan',
             'filed_case_count', 'closed_case_count', 'coercion_measure_count', 'coercion_execution_count',
             'inspection_count', 'judicial_transfer_count',
             'legal_review_required_count', 'legal_review_done_count', 'overdue_case_count', 'publicity_due_count',
             'publicity_on_time_count', 'publicity_provisional_due_count', 'publicity_provisional_on_time_count',
             'reconsidered_count', 'reconsideration_corrected_count',
             'reviewed_file_count', 'reviewed_file_pass_count', 'reviewed_file_excellent_count', 'finding_count']) }}
{%- endmacro %}

{% macro indicator_count_columns() -%}
  {{ return(indicator_flow_columns() + indicator_stock_columns()) }}
{%- endmacro %}

{#- A roll-up of the body grain: `grain` 'month' (mart_supervision_indicators, by month_start) or 'year'
    (mart_supervision_indicators_yearly, by report_year); rates recomputed from the summed counts. -#}
{% macro indicator_rollup(group_columns, grain='month') -%}
{%- set source_model = 'mart_supervision_indicators' if grain == 'month' else 'mart_supervision_indicators_yearly' -%}
{%- set period_columns = ['month_start'] if grain == 'month' else ['report_year', 'is_year_complete'] -%}
with summed as (
    select
        {% for column in group_columns + period_columns %}{{ column }},
        {% endfor %}count(distinct entity_id) as entity_count,
        {% for column in indicator_count_columns() %}sum({{ column }}) as {{ column }}{% if not loop.last %},
        {% endif %}{% endfor %}
    from {{ ref(source_model) }}
    group by {% for column in group_columns + period_columns %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
)

select
    summed.*,
    {{ indicator_rates() }}
from summed
{%- endmacro %}
