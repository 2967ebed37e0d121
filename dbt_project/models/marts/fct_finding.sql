-- Every legal finding (standard.md §4): the ones validation recorded on the current version of each
-- record (with the lake's provisional flag), except the rules whose answer changes with the checking
-- day (rules_judged_daily(): their checks read as_of) — those are judged again here on every current
-- record as of var('as_of'), by the generated rule macros in int_penalty_cases_assessed (未及时结案,
-- 公示超期, 撤回超期) and int_coercion_cases_assessed (查封扣押超期), and the 事项 findings on their
-- 设定依据 (int_matter_bases_assessed: a 事项 has no 执法主体, so entity and place are empty). No rule is
-- stated here.
with issues as (
    select * from {{ ref('stg_lake__issues') }}
    where severity = 'finding'
        and rule_id not in ({{ "'" ~ rules_judged_daily() | join("', '") ~ "'" }})
),

assessed as (
    select * from {{ ref('int_penalty_cases_assessed') }}
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
        'validation' as finding_source,
        issues.is_provisional
    from issues
    inner join {{ ref('stg_lake__penalty_cases') }} as cases
        on cases.batch_id = issues.batch_id and cases.record_number = issues.record_number
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
        'validation' as finding_source,
        issues.is_provisional
    from issues
    inner join {{ ref('stg_lake__coercion_cases') }} as coercions
        on coercions.batch_id = issues.batch_id and coercions.record_number = issues.record_number
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
        'validation' as finding_source,
        issues.is_provisional
    from issues
    inner join {{ ref('stg_lake__inspections') }} as inspections
        on inspections.batch_id = issues.batch_id and inspections.record_number = issues.record_number
),

recomputed_penalty_findings as (
    select
        'finding.case_open_too_long' as rule_id, 'LARQ' as field_code,
        case_id, entity_id, reporting_unit_id, is_open_case_deadline_provisional as is_provisional
    from assessed
    where is_open_too_long
    union all
    select
        'finding.late_publicity', 'GSRQ',
        case_id, entity_id, reporting_unit_id, is_publicity_late_provisional
    from assessed
    where is_publicity_late
    union all
    select
        'finding.late_withdrawal', 'CHGSRQ',
        case_id, entity_id, reporting_unit_id, is_withdrawal_late_provisional
    from assessed
    where is_withdrawal_late
),

penalty_recomputed as (
    select
        rule_id,
        'penalty_case' as record_kind,
        case_id as record_id,
        entity_id,
        reporting_unit_id,
        field_code,
        {{ as_of_date() }} as finding_date,
        'recomputed' as finding_source,
        is_provisional
    from recomputed_penalty_findings
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
        'recomputed' as finding_source,
        is_provisional
    from {{ ref('int_coercion_cases_assessed') }}
    where is_seizure_overdue
),

-- 设定依据 of each 事项 version against the 法律法规库, judged as of var('as_of') (a law repealed
-- tomorrow changes the answer), so always here rather than taken from validation.
matter_bases as (
    select * from {{ ref('int_matter_bases_assessed') }}
),

matter_findings as (
    select
        'finding.matter_basis_unknown' as rule_id,
        'matter' as record_kind,
        matter_version_id as record_id,
        cast(null as varchar) as entity_id,
        cast(null as varchar) as reporting_unit_id,
        'SDYJ' as field_code,
        {{ as_of_date() }} as finding_date,
        'recomputed' as finding_source,
        false as is_provisional
    from matter_bases
    where has_unknown_basis
    union all
    select
        'finding.matter_basis_not_in_force', 'matter', matter_version_id, cast(null as varchar),
        cast(null as varchar), 'SDYJ', {{ as_of_date() }}, 'recomputed', false
    from matter_bases
    where has_basis_not_in_force
),

findings as (
    select * from penalty_findings
    union all
    select * from coercion_findings
    union all
    select * from inspection_findings
    union all
    select * from penalty_recomputed
    union all
    select * from seizure_in_force_too_long
    union all
    select * from matter_findings
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
    findings.finding_source,
    coalesce(findings.is_provisional, false) as is_provisional
from findings
-- a left join: finding.late_withdrawal is computed here before rules.yaml catalogues its message
left join {{ ref('rule') }} as rules on rules.rule_id = findings.rule_id
left join entities on entities.entity_id = findings.entity_id
