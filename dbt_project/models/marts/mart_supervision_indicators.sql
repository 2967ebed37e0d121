-- standard.md §6 at one grain: 执法主体 × month. Counts are additive (the roll-ups sum them); every
-- rate is kept with its numerator and denominator so a roll-up recomputes it instead of averaging.
-- A case is counted in the month of its decision, once, under its heaviest kind (mart_penalty_kind_counts).
with bodies as (
    select * from {{ ref('int_entity_versions_dated') }} where is_current
),

months as (
    select * from {{ ref('int_months') }}
),

grid as (
    select bodies.entity_id, bodies.entity_name, bodies.reporting_unit_id, bodies.division_code,
           bodies.city_code, bodies.county_code, bodies.enforcement_domain, months.month_start
    from bodies
    cross join months
),

decided as (
    select
        cases.entity_id,
        cases.decision_month as month_start,
        count(*) as penalty_case_count,
        sum(case when cases.procedure_type = {{ code('procedure_type', '简易程序') }} then 1 else 0 end)
            as summary_procedure_count,
        sum(case when cases.procedure_type = {{ code('procedure_type', '普通程序') }} then 1 else 0 end)
            as ordinary_procedure_count,
        sum(cases.forfeiture_amount_wan) as forfeiture_amount_wan,
        sum(case when assessed.needs_legal_review then 1 else 0 end) as legal_review_required_count,
        sum(case when assessed.had_legal_review then 1 else 0 end) as legal_review_done_count,
        sum(case when assessed.is_overdue then 1 else 0 end) as overdue_case_count,
        -- 公示及时率 counts firm deadlines; one that ran through a year whose holidays are not announced
        -- yet is counted apart until the year is (standard.md §4, §6).
        sum(case when assessed.is_publicity_due and not assessed.is_publicity_deadline_provisional then 1 else 0 end)
            as publicity_due_count,
        sum(case when assessed.is_publicity_due and not assessed.is_publicity_deadline_provisional
                  and assessed.is_published_on_time then 1 else 0 end) as publicity_on_time_count,
        sum(case when assessed.is_publicity_due and assessed.is_publicity_deadline_provisional then 1 else 0 end)
            as publicity_provisional_due_count,
        sum(case when assessed.is_publicity_due and assessed.is_publicity_deadline_provisional
                  and assessed.is_published_on_time then 1 else 0 end) as publicity_provisional_on_time_count,
        sum(case when assessed.was_reviewed then 1 else 0 end) as reconsidered_count,
        sum(case when assessed.was_corrected then 1 else 0 end) as reconsideration_corrected_count
    from {{ ref('fct_penalty_case') }} as cases
    inner join {{ ref('int_penalty_cases_assessed') }} as assessed on assessed.case_id = cases.case_id
    where cases.is_decided
    group by cases.entity_id, cases.decision_month
),

filed as (
    select entity_id, {{ month_of('filing_date') }} as month_start, count(*) as filed_case_count
    from {{ ref('fct_penalty_case') }}
    where filing_date is not null and not is_withdrawn
    group by entity_id, {{ month_of('filing_date') }}
),

closed as (
    select entity_id, {{ month_of('closing_date') }} as month_start, count(*) as closed_case_count
    from {{ ref('fct_penalty_case') }}
    where closing_date is not null and not is_withdrawn
    group by entity_id, {{ month_of('closing_date') }}
),

transferred as (
    select entity_id, {{ month_of('coalesce(decision_date, filing_date)') }} as month_start,
           count(*) as judicial_transfer_count
    from {{ ref('fct_penalty_case') }}
    where is_transferred_to_judiciary and not is_withdrawn and coalesce(decision_date, filing_date) is not null
    group by entity_id, {{ month_of('coalesce(decision_date, filing_date)') }}
),

coercions as (
    select
        entity_id,
        decision_month as month_start,
        sum(case when coercion_type = {{ code('coercion_type', '强制措施') }} then 1 else 0 end) as coercion_measure_count,
        sum(case when coercion_type = {{ code('coercion_type', '强制执行') }} then 1 else 0 end) as coercion_execution_count
    from {{ ref('fct_coercion_case') }}
    group by entity_id, decision_month
),

inspections as (
    select entity_id, inspection_month as month_start, count(*) as inspection_count
    from {{ ref('fct_inspection') }}
    group by entity_id, inspection_month
),

officers as (
    select
        entity_id,
        month_start,
        -- 持证率 is a stock at the month end, over the officers in service then
        sum(case when is_in_service then 1 else 0 end) as officer_count,
        sum(case when is_in_service and is_certified then 1 else 0 end) as certified_officer_count
    from {{ ref('int_officers_at_month_end') }}
    group by entity_id, month_start
),

reviews as (
    select
        entity_id,
        {{ month_of('review_date') }} as month_start,
        count(*) as reviewed_file_count,
        sum(case when review_grade in {{ codes('review_grade', ['优秀', '合格']) }} then 1 else 0 end) as reviewed_file_pass_count,
        sum(case when review_grade = {{ code('review_grade', '优秀') }} then 1 else 0 end) as reviewed_file_excellent_count
    from {{ ref('stg_lake__review_results') }}
    group by entity_id, {{ month_of('review_date') }}
),

findings as (
    select entity_id, finding_month as month_start, count(*) as finding_count
    from {{ ref('fct_finding') }}
    group by entity_id, finding_month
),

counted as (
    select
        grid.entity_id,
        grid.month_start,
        grid.entity_name,
        grid.reporting_unit_id,
        grid.division_code,
        grid.city_code,
        grid.county_code,
        grid.enforcement_domain,
        coalesce(decided.penalty_case_count, 0) as penalty_case_count,
        coalesce(decided.summary_procedure_count, 0) as summary_procedure_count,
        coalesce(decided.ordinary_procedure_count, 0) as ordinary_procedure_count,
        cast(coalesce(decided.forfeiture_amount_wan, 0) as decimal(18, 6)) as forfeiture_amount_wan,
        coalesce(filed.filed_case_count, 0) as filed_case_count,
        coalesce(closed.closed_case_count, 0) as closed_case_count,
        coalesce(coercions.coercion_measure_count, 0) as coercion_measure_count,
        coalesce(coercions.coercion_execution_count, 0) as coercion_execution_count,
        coalesce(inspections.inspection_count, 0) as inspection_count,
        coalesce(transferred.judicial_transfer_count, 0) as judicial_transfer_count,
        coalesce(officers.officer_count, 0) as officer_count,
        coalesce(officers.certified_officer_count, 0) as certified_officer_count,
        coalesce(decided.legal_review_required_count, 0) as legal_review_required_count,
        coalesce(decided.legal_review_done_count, 0) as legal_review_done_count,
        coalesce(decided.overdue_case_count, 0) as overdue_case_count,
        coalesce(decided.publicity_due_count, 0) as publicity_due_count,
        coalesce(decided.publicity_on_time_count, 0) as publicity_on_time_count,
        coalesce(decided.publicity_provisional_due_count, 0) as publicity_provisional_due_count,
        coalesce(decided.publicity_provisional_on_time_count, 0) as publicity_provisional_on_time_count,
        coalesce(decided.reconsidered_count, 0) as reconsidered_count,
        coalesce(decided.reconsideration_corrected_count, 0) as reconsideration_corrected_count,
        coalesce(reviews.reviewed_file_count, 0) as reviewed_file_count,
        coalesce(reviews.reviewed_file_pass_count, 0) as reviewed_file_pass_count,
        coalesce(reviews.reviewed_file_excellent_count, 0) as reviewed_file_excellent_count,
        coalesce(findings.finding_count, 0) as finding_count
    from grid
    left join decided on decided.entity_id = grid.entity_id and decided.month_start = grid.month_start
    left join filed on filed.entity_id = grid.entity_id and filed.month_start = grid.month_start
    left join closed on closed.entity_id = grid.entity_id and closed.month_start = grid.month_start
    left join transferred on transferred.entity_id = grid.entity_id and transferred.month_start = grid.month_start
    left join coercions on coercions.entity_id = grid.entity_id and coercions.month_start = grid.month_start
    left join inspections on inspections.entity_id = grid.entity_id and inspections.month_start = grid.month_start
    left join officers on officers.entity_id = grid.entity_id and officers.month_start = grid.month_start
    left join reviews on reviews.entity_id = grid.entity_id and reviews.month_start = grid.month_start
    left join findings on findings.entity_id = grid.entity_id and findings.month_start = grid.month_start
)

select
    entity_id || '|' || cast(month_start as varchar) as indicator_id,
    counted.*,
    {{ indicator_rates() }}
from counted
