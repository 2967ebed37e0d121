-- What the publication feeds send for each case (standard.md §8), decided once for 公示 and 双公示:
-- a decision is published; a decision 撤销/变更/确认违法 (案件状态 已撤销, or 复议诉讼结果 撤销/变更/
-- 确认违法) is sent as a withdrawal (feed_action 'remove') whether or not the withdrawing version still
-- carries its decision date; a 变更 is followed by the amended decision as a new publication.
-- A 市场监管 case whose only penalty is a 警告 is never published, so never withdrawn either.
with assessed as (
    select * from {{ ref('int_penalty_cases_assessed') }}
    where not is_publicity_exempt
),

actions as (
    select case_id, 'remove' as feed_action, 1 as feed_sequence
    from assessed
    where is_publication_withdrawn
    union all
    select case_id, 'publish', 2
    from assessed
    where decision_date is not null and (not is_publication_withdrawn or is_amended)
)

select
    actions.case_id || '|' || actions.feed_action as publication_id,
    actions.case_id,
    actions.feed_action,
    actions.feed_sequence,
    case when actions.feed_action = 'remove' then coalesce(outcomes.label, statuses.label) end as withdrawal_reason,
    case when actions.feed_action = 'remove' then assessed.withdrawal_deadline end as withdrawal_deadline,
    case
        when actions.feed_action = 'remove' then assessed.is_withdrawal_deadline_provisional
        else assessed.is_publicity_deadline_provisional
    end as is_deadline_provisional
from actions
inner join assessed on assessed.case_id = actions.case_id
left join {{ ref('code_list') }} as outcomes
    on outcomes.codelist_id = 'review_outcome'
    and outcomes.code = assessed.review_outcome
    and assessed.review_outcome in {{ codes('review_outcome', ['撤销', '变更', '确认违法']) }}
left join {{ ref('code_list') }} as statuses
    on statuses.codelist_id = 'case_status'
    and statuses.code = {{ code('case_status', '已撤销') }}
    and assessed.is_withdrawn
