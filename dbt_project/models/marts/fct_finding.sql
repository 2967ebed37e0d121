-- Every legal finding (standard.md §4): the ones validation recorded on the current version of each
-- record, and the time-dependent ones recomputed here as of var('as_of') — a case open too long
-- without a decision (未及时结案) and a 查封/扣押/冻结 still in force past its limit (查封扣押超期).
with issues as (
    select * from {{ ref('stg_lake__issues') }} where severity = 'finding'
),

recomputed_rules as (
    select 'finding.case_open_too_long' as rule_id
),

penalty_findings as (
    select
        issues.rule_id,
        'penalty_case' as record_kind,
        cases.case_id as record_id,
        cases.entity_id,
        cases.reporting_unit_id,
        issues.field_code,
        coalesce(cases.decision_date, cases.filing_date) as finding_date,
        'validation' as finding_source
    from issues
    inner join {{ ref('stg_lake__penalty_cases') }} as cases
        on cases.batch_id = issues.batch_id and cases.record_number = issues.record_number
    where issues.rule_id not in (select rule_id from recomputed_rules)
),

coercion_findings as (
    select
        issues.rule_id,
        'coercion_case' as record_kind,
        coercions.coercion_id as record_id,
        coercions.entity_id,
        coercions.reporting_unit_id,
        issues.field_code,
        coercions.decision_date as finding_date,
        'validation' as finding_source
    from issues
    inner join {{ ref('stg_lake__coercion_cases') }} as coercions
        on coercions.batch_id = issues.batch_id and coercions.record_number = issues.record_number
    -- a measure still in force is judged again every day below
    where not (issues.rule_id = 'finding.seizure_overdue' and coercions.release_date is null)
),

inspection_findings as (
    select
        issues.rule_id,
        'inspection' as record_kind,
        inspections.inspection_id as record_id,
        inspections.entity_id,
        inspections.reporting_unit_id,
        issues.field_code,
        inspections.inspection_date as finding_date,
        'validation' as finding_source
    from issues
    inner join {{ ref('stg_lake__inspections') }} as inspections
        on inspections.batch_id = issues.batch_id and inspections.record_number = issues.record_number
),

open_too_long as (
    select
        'finding.case_open_too_long' as rule_id,
        'penalty_case' as record_kind,
        case_id as record_id,
        entity_id,
        reporting_unit_id,
        'LARQ' as field_code,
        {{ as_of_date() }} as finding_date,
        'recomputed' as finding_source
    from {{ ref('stg_lake__penalty_cases') }}
    where not is_withdrawn
        and decision_date is null
        and filing_date is not null
        and {{ days_between('filing_date', as_of_date()) }} > {{ rule_param('finding.case_open_too_long', 'max_days') }}
),

seizure_in_force_too_long as (
    select
        'finding.seizure_overdue' as rule_id,
        'coercion_case' as record_kind,
        coercion_id as record_id,
        entity_id,
        reporting_unit_id,
        'QSRQ' as field_code,
        {{ as_of_date() }} as finding_date,
        'recomputed' as finding_source
    from {{ ref('stg_lake__coercion_cases') }}
    where coercion_method in ('查封场所设施或者财物', '扣押财物', '冻结存款汇款')
        and release_date is null
        and measure_start_date is not null
        and {{ days_between('measure_start_date', as_of_date()) }} > case
            when is_extended then {{ rule_param('finding.seizure_overdue', 'max_days_extended') }}
            else {{ rule_param('finding.seizure_overdue', 'max_days') }}
        end
),

findings as (
    select * from penalty_findings
    union all
    select * from coercion_findings
    union all
    select * from inspection_findings
    union all
    select * from open_too_long
    union all
    select * from seizure_in_force_too_long
),

entities as (
    select * from {{ ref('int_entity_versions_dated') }} where is_current
)

select
    md5(findings.rule_id || '|' || findings.record_kind || '|' || findings.record_id || '|' || coalesce(findings.field_code, ''))
        as finding_id,
    findings.rule_id,
    rules.message,
    rules.legal_basis,
    findings.record_kind,
    findings.record_id,
    findings.entity_id,
    findings.reporting_unit_id,
    entities.city_code,
    entities.county_code,
    entities.enforcement_domain,
    findings.field_code,
    findings.finding_date,
    {{ month_of('findings.finding_date') }} as finding_month,
    findings.finding_source
from findings
inner join {{ ref('rule') }} as rules on rules.rule_id = findings.rule_id
left join entities on entities.entity_id = findings.entity_id
