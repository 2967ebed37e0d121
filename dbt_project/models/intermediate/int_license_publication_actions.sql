-- What the 行政许可 双公示 sends for each license, by the rules of the 处罚 feed (standard.md §8,
-- int_publication_actions): a license is published within the 双公示's 7 working days of its decision;
-- one that became 无效 (撤销、撤回、注销) is sent as a withdrawal ('remove') within 3 working days of the
-- version that made it so. Periods are the 处罚 rules' own (rule_param), counted by one calendar.
with licenses as (
    select * from {{ ref('stg_lake__licenses') }}
),

actions as (
    select license_id, 'remove' as feed_action, 1 as feed_sequence
    from licenses
    where is_invalid
    union all
    select license_id, 'publish', 2
    from licenses
    where decision_date is not null and not is_invalid
)

select
    actions.license_id || '|' || actions.feed_action as publication_id,
    actions.license_id,
    actions.feed_action,
    actions.feed_sequence,
    case when actions.feed_action = 'remove' then status.label end as withdrawal_reason,
    case when actions.feed_action = 'publish' then {{ deadline_date('publicity') }} end as publicity_deadline,
    case when actions.feed_action = 'remove' then {{ deadline_date('withdrawal') }} end as withdrawal_deadline,
    case
        when actions.feed_action = 'remove' then {{ deadline_is_provisional('withdrawal', 'working') }}
        else {{ deadline_is_provisional('publicity', 'working') }}
    end as is_deadline_provisional
from actions
inner join licenses on licenses.license_id = actions.license_id
left join {{ ref('code_list') }} as status
    on status.codelist_id = 'license_status'
    and status.code = licenses.license_status
{{ deadline_joins('publicity', 'licenses.decision_date', rule_param('finding.late_publicity', 'working_days'), 'working') }}
{{ deadline_joins('withdrawal', 'licenses.invalidated_on', rule_param('finding.late_withdrawal', 'working_days'), 'working') }}
