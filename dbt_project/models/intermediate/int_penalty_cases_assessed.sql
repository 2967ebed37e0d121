-- What supervision asks of each 行政处罚案件, judged once here and read by the indicators (§6), the
-- findings recomputed each day (§4) and the feeds (§8), as of var('as_of'). The findings are the rules
-- as rule_checks.yaml writes them (the generated rule_violation / rule_provisional macros), never
-- restated here; the deadline dates shown beside them and the §6 rates' deadlines are counted by
-- macros/deadlines.sql (working days with 调休; calendar days with 顺延), with whether they depend on a
-- year whose holidays are not announced yet (provisional).
{#- The current version's fields by code; a withdrawal counts from the version that withdrew the case
    (not the latest re-sending of it), and the body's 执法领域 is the one it had on the decision day. -#}
{%- set fields = field_columns('penalty_case', 'exemptions') -%}
{%- do fields.update({
    'GXSJ': 'exemptions.withdrawn_on',
    'body.ZFLY': 'exemptions.enforcement_domain',
    'SFZD': "case when exemptions.is_major_decision then 'Y' when not exemptions.is_major_decision then 'N' end",
    'SFTZ': "case when exemptions.had_hearing then 'Y' else 'N' end",
}) %}
with cases as (
    select * from {{ ref('stg_lake__penalty_cases') }}
),

dated as (
    select
        cases.*,
        {{ entity_at('enforcement_domain') }} as enforcement_domain,
        cases.decision_date is not null and not cases.is_withdrawn as is_decided,
        cases.procedure_type = {{ code('procedure_type', '普通程序') }} as is_ordinary_procedure,
        -- 撤回: a decision 撤销/变更/确认违法 on 复议 or 诉讼 counts from the outcome's date; a case
        -- withdrawn by the body (已撤销) from the 更新时间 of the version that withdrew it.
        case
            when cases.review_outcome in {{ codes('review_outcome', ['撤销', '变更', '确认违法']) }}
                then cases.review_outcome_date
            when cases.is_withdrawn then cases.withdrawn_on
        end as withdrawal_from_date,
        coalesce(cases.review_outcome in {{ codes('review_outcome', ['撤销', '变更', '确认违法']) }}, false)
            or cases.is_withdrawn as is_publication_withdrawn
    from cases
    {{ entity_version_joins('cases', 'coalesce(cases.decision_date, cases.filing_date)') }}
),

deadlines as (
    select
        dated.*,
        -- 超期办案 / 未及时结案 (Art 60): 90 days from 立案 (顺延), or the approved 延长办案期限至 when later.
        case when dated.extended_deadline > {{ deadline_date('handling') }} then dated.extended_deadline
             else {{ deadline_date('handling') }} end as handling_deadline,
        {{ deadline_date('publicity') }} as publicity_deadline,
        {{ deadline_is_provisional('publicity', 'working') }} as is_publicity_deadline_provisional,
        {{ deadline_date('withdrawal') }} as withdrawal_deadline,
        {{ deadline_is_provisional('withdrawal', 'working') }} as is_withdrawal_deadline_provisional
    from dated
    {{ deadline_joins('handling', 'dated.filing_date', rule_param('finding.overdue_handling', 'max_days'), 'calendar') }}
    {{ deadline_joins('publicity', 'dated.decision_date', rule_param('finding.late_publicity', 'working_days'), 'working') }}
    {{ deadline_joins('withdrawal', 'dated.withdrawal_from_date', var('withdrawal_working_days'), 'working') }}
),

exemptions as (
    select
        deadlines.*,
        -- 市场监管 does not publish a case whose only penalty is a 警告 (standard.md §8).
        coalesce(
            deadlines.enforcement_domain = {{ code('enforcement_domain', '市场监管') }}
            and deadlines.penalty_kinds = {{ code('penalty_kind', '警告') }},
            false
        ) as is_publicity_exempt
    from deadlines
),

judged as (
    select
        exemptions.*,
        exemptions.is_decided and not exemptions.is_publicity_exempt as needs_publication,
        exemptions.is_decided and {{ rule_violation('finding.overdue_handling', columns=fields) }} as is_overdue,
        {{ rule_violation('finding.missing_legal_review', columns=fields) }} as lacks_legal_review,
        {{ rule_provisional('finding.overdue_handling', columns=fields) }} as is_handling_deadline_provisional,
        {{ rule_violation('finding.case_open_too_long', columns=fields) }} as is_open_too_long,
        {{ rule_provisional('finding.case_open_too_long', columns=fields) }} as is_open_case_deadline_provisional,
        {{ rule_violation('finding.late_publicity', columns=fields) }} as is_publicity_late,
        {{ rule_provisional('finding.late_publicity', columns=fields) }} as is_publicity_late_provisional,
        {{ rule_violation('finding.late_withdrawal', columns=fields) }} as is_withdrawal_late,
        {{ rule_provisional('finding.late_withdrawal', columns=fields) }} as is_withdrawal_late_provisional
    from exemptions
    {{ rule_lookups(['finding.overdue_handling', 'finding.missing_legal_review', 'finding.case_open_too_long',
                     'finding.late_publicity', 'finding.late_withdrawal'], columns=fields) }}
)

select
    case_id,
    entity_id,
    reporting_unit_id,
    enforcement_domain,
    filing_date,
    decision_date,
    {{ month_of('decision_date') }} as decision_month,
    is_decided,
    is_withdrawn,
    is_ordinary_procedure,
    review_outcome,
    publicity_date,
    publicity_withdrawn_date,
    -- 法制审核 (Art 58): 重大 or 听证 needs a review on or before the decision.
    is_decided and (is_major_decision or had_hearing) as needs_legal_review,
    is_decided and (is_major_decision or had_hearing) and not lacks_legal_review as had_legal_review,
    handling_deadline,
    is_handling_deadline_provisional,
    -- 超期办案率 counts 普通程序 only: 简易程序 has no 立案 and no 90-day period.
    coalesce(is_overdue, false) as is_overdue,
    handling_deadline as open_case_deadline,
    is_open_case_deadline_provisional,
    is_open_too_long,
    is_publicity_exempt,
    needs_publication,
    publicity_deadline,
    is_publicity_deadline_provisional,
    -- Due: published already or past its deadline as of var('as_of'); a case still inside its
    -- 7 working days is neither on time nor late yet.
    coalesce(needs_publication and (publicity_date is not null or publicity_deadline < {{ as_of_date() }}), false)
        as is_publicity_due,
    coalesce(publicity_date is not null and publicity_date <= publicity_deadline, false) as is_published_on_time,
    -- 公示超期: published late, or never published once its 7th working day has passed (recomputed daily).
    is_publicity_late,
    is_publicity_late_provisional,
    coalesce(is_decided and review_outcome in {{ codes('review_outcome', ['维持', '撤销', '变更', '确认违法']) }}, false)
        as was_reviewed,
    coalesce(is_decided and review_outcome in {{ codes('review_outcome', ['撤销', '变更', '确认违法']) }}, false)
        as was_corrected,
    is_publication_withdrawn,
    coalesce(review_outcome = {{ code('review_outcome', '变更') }}, false) and not is_withdrawn as is_amended,
    -- Nothing is owed on a decision 撤销 (by the body or on 复议/诉讼) or 确认违法 (standard.md §8).
    is_withdrawn or coalesce(review_outcome in {{ codes('review_outcome', ['撤销', '确认违法']) }}, false)
        as is_fine_void,
    withdrawal_from_date,
    withdrawal_deadline,
    is_withdrawal_deadline_provisional,
    -- 撤回超期 (Art 48 with Art 85): withdrawn later than its 3rd working day, or not yet once it passed.
    is_withdrawal_late,
    is_withdrawal_late_provisional
from judged
