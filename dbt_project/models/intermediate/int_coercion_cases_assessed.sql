-- What supervision asks of each 查封/扣押/冻结 still in force, judged once here as of var('as_of') and
-- read by fct_finding: 查封扣押超期 (行政强制法 Art 25, 32) when it is in force past 30 days (60 when
-- extended), counted in calendar days with 顺延 (macros/deadlines.sql), or past the end the decision
-- itself set (期限届满日期, or 延长至 when extended). Released measures are judged at validation.
with seizures as (
    select
        coercions.coercion_id,
        coercions.entity_id,
        coercions.reporting_unit_id,
        coercions.measure_start_date,
        coercions.is_extended,
        case when coercions.is_extended then {{ deadline_date('extended') }} else {{ deadline_date('limit') }} end
            as limit_deadline,
        case
            when coercions.is_extended then {{ deadline_is_provisional('extended', 'calendar') }}
            else {{ deadline_is_provisional('limit', 'calendar') }}
        end as is_limit_provisional,
        case when coercions.is_extended then coalesce(coercions.extended_until, coercions.measure_end_date)
             else coercions.measure_end_date end as own_end_date
    from {{ ref('stg_lake__coercion_cases') }} as coercions
    {{ deadline_joins('limit', 'coercions.measure_start_date', rule_param('finding.seizure_overdue', 'max_days'), 'calendar') }}
    {{ deadline_joins('extended', 'coercions.measure_start_date', rule_param('finding.seizure_overdue', 'max_days_extended'), 'calendar') }}
    where coercions.coercion_method in {{ codes('coercion_method', ['查封场所设施或者财物', '扣押财物', '冻结存款汇款']) }}
        and coercions.release_date is null
        and coercions.measure_start_date is not null
)

select
    coercion_id,
    entity_id,
    reporting_unit_id,
    measure_start_date,
    is_extended,
    limit_deadline,
    own_end_date,
    coalesce({{ as_of_date() }} > limit_deadline or {{ as_of_date() }} > own_end_date, false) as is_seizure_overdue,
    -- past its own end date is firm; only a limit counted through an unannounced year is not
    not coalesce({{ as_of_date() }} > own_end_date, false) and is_limit_provisional as is_provisional
from seizures
