-- What supervision asks of each 行政强制 as of var('as_of'), read by fct_finding: 查封扣押超期 (行政强制法
-- Art 25, 32), judged by the rule as rule_checks.yaml writes it (the generated rule_violation macro) on
-- the current version of every record, released or not: its answer changes with the checking day for a
-- measure still in force. limit_deadline is the statutory limit shown beside it (macros/deadlines.sql).
{%- set fields = field_columns('coercion_case', 'coercions') -%}
{%- do fields.update({'SFYC': "case when coercions.is_extended then 'Y' else 'N' end"}) %}
with coercions as (
    select * from {{ ref('stg_lake__coercion_cases') }}
),

judged as (
    select
        coercions.coercion_id,
        coercions.entity_id,
        coercions.reporting_unit_id,
        coercions.measure_start_date,
        coercions.release_date,
        coercions.is_extended,
        {{ deadline_date('limit') }} as limit_deadline,
        {{ rule_violation('finding.seizure_overdue', columns=fields) }} as is_seizure_overdue,
        {{ rule_provisional('finding.seizure_overdue', columns=fields) }} as is_provisional
    from coercions
    {{ deadline_joins('limit', 'coercions.measure_start_date', rule_param('finding.seizure_overdue', 'max_days'), 'calendar') }}
    {{ rule_lookups('finding.seizure_overdue', columns=fields) }}
)

select
    coercion_id,
    entity_id,
    reporting_unit_id,
    measure_start_date,
    release_date,
    is_extended,
    limit_deadline,
    is_seizure_overdue,
    is_seizure_overdue and is_provisional as is_provisional
from judged
