-- 行政执法信息公示平台: each decided case with what the public sees and when it was (or is due to be)
-- published — within 7 working days of the decision; withdrawn cases flagged for removal.
select
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
    cast(cases.is_withdrawn as boolean) as is_withdrawn,
    cast(case when cases.is_withdrawn then 'remove' else 'publish' end as varchar(10)) as feed_action
from {{ ref('fct_penalty_case') }} as cases
left join {{ ref('int_penalty_cases_assessed') }} as assessed on assessed.case_id = cases.case_id
left join {{ ref('int_entity_versions_dated') }} as bodies on bodies.entity_version_id = cases.entity_version_id
where cases.decision_date is not null
