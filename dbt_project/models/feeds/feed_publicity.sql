-- 行政执法信息公示平台: what the public sees of each decided case and when it was (or is due to be)
-- published — within 7 working days of the decision; a decision 撤销/变更/确认违法 is withdrawn
-- ('remove', within 3 working days), a 变更 then published again (int_publication_actions, §8).
-- A deadline counted through a year whose holidays are not announced is marked provisional.
select
    cast(actions.publication_id as varchar(220)) as publication_id,
    cast(cases.case_id as varchar(200)) as case_id,
    cast(cases.entity_id as varchar(18)) as entity_id,
    cast(bodies.entity_name as varchar(200)) as entity_name,
    cast(cases.decision_number as varchar(200)) as decision_number,
    cast(cases.counterparty_name_masked as varchar(400)) as counterparty_name_masked,
    cast(cases.violation_type as varchar(2000)) as violation_type,
    cast(cases.penalty_kinds as varchar(200)) as penalty_kinds,
    cast(cases.fine_amount_wan as decimal(18, 6)) as fine_amount_wan,
    cast(cases.decision_date as date) as decision_date,
    cast(assessed.publicity_deadline as date) as publicity_deadline,
    cast(cases.publicity_date as date) as publicity_date,
    cast(assessed.is_published_on_time as boolean) as is_published_on_time,
    cast(assessed.is_publicity_due as boolean) as is_publicity_due,
    cast(actions.feed_action = 'remove' as boolean) as is_withdrawn,
    cast(actions.feed_action as varchar(10)) as feed_action,
    cast(actions.feed_sequence as integer) as feed_sequence,
    cast(actions.withdrawal_reason as varchar(40)) as withdrawal_reason,
    cast(actions.withdrawal_deadline as date) as withdrawal_deadline,
    cast(assessed.publicity_withdrawn_date as date) as publicity_withdrawn_date,
    cast(actions.is_deadline_provisional as boolean) as is_deadline_provisional
from {{ ref('int_publication_actions') }} as actions
inner join {{ ref('fct_penalty_case') }} as cases on cases.case_id = actions.case_id
inner join {{ ref('int_penalty_cases_assessed') }} as assessed on assessed.case_id = actions.case_id
left join {{ ref('int_entity_versions_dated') }} as bodies on bodies.entity_version_id = cases.entity_version_id
