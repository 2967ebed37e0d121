-- What supervision asks of each decided case (standard.md §6), one flag per indicator formula:
-- 法制审核 (Art 58), 超期办案 (Art 60), 公示及时 (7 working days, 国办发〔2018〕118号), 复议纠错.
with cases as (
    select * from {{ ref('fct_penalty_case') }}
),

workdays as (
    select * from {{ ref('int_workdays_numbered') }}
),

deadlines as (
    select
        cases.case_id,
        min(after.calendar_date) as publicity_deadline
    from cases
    inner join workdays as decided on decided.calendar_date = cases.decision_date
    inner join workdays as after
        on after.is_workday
        and after.workday_number = decided.workday_number + {{ rule_param('finding.late_publicity', 'working_days') }}
    group by cases.case_id
)

select
    cases.case_id,
    cases.entity_id,
    cases.decision_month,
    cases.is_major_decision or cases.had_hearing as needs_legal_review,
    (cases.is_major_decision or cases.had_hearing)
        and cases.legal_review_date is not null
        and cases.legal_review_date <= cases.decision_date as had_legal_review,
    cases.filing_date is not null
        and {{ days_between('cases.filing_date', 'cases.decision_date') }}
            > {{ rule_param('finding.overdue_handling', 'max_days') }} as is_overdue,
    -- Due: to be published (市场监管 does not publish a case whose only penalty is a 警告, standard.md
    -- §8) and either published already or past its deadline as of var('as_of'); a case still inside
    -- its 7 working days is neither on time nor late yet.
    not (cases.enforcement_domain = '市场监管' and cases.penalty_kinds = '警告')
        and (cases.publicity_date is not null or deadlines.publicity_deadline < {{ as_of_date() }}) as is_publicity_due,
    deadlines.publicity_deadline,
    cases.publicity_date is not null
        and deadlines.publicity_deadline is not null
        and cases.publicity_date <= deadlines.publicity_deadline as is_published_on_time,
    coalesce(cases.review_outcome in ('1', '2', '3', '4'), false) as was_reviewed,
    coalesce(cases.review_outcome in ('2', '3', '4'), false) as was_corrected
from cases
left join deadlines on deadlines.case_id = cases.case_id
where cases.is_decided
