-- 行刑衔接: cases the body transferred to the judicial organs (是否移送司法机关 = Y), with the transfer's
-- steps and the 3 days the 移送规定 (国务院令第310号, 2020年修订) Art 8 gives the 公安机关 to decide on
-- filing, counted as standard.md §4 says (the rule's own limit, rules.yaml finding.late_police_filing_decision).
with cases as (
    select * from {{ ref('fct_penalty_case') }}
    where is_transferred_to_judiciary and not is_withdrawn
)

select
    cast(cases.case_id as varchar(200)) as case_id,
    cast(cases.entity_id as varchar(18)) as entity_id,
    cast(cases.case_number as varchar(100)) as case_number,
    cast(cases.city_code as varchar(6)) as city_code,
    cast(cases.enforcement_domain as varchar(40)) as enforcement_domain,
    cast(cases.counterparty_name_masked as varchar(400)) as counterparty_name_masked,
    cast(cases.counterparty_id_number_masked as varchar(40)) as counterparty_id_number_masked,
    cast(cases.violation_type as varchar(2000)) as violation_type,
    cast(cases.filing_date as date) as filing_date,
    cast(cases.decision_date as date) as decision_date,
    cast(cases.transfer_date as date) as transfer_date,
    cast(cases.receiving_authority as varchar(200)) as receiving_authority,
    cast(cases.police_filing_result as varchar(2)) as police_filing_result,
    cast(cases.police_filing_result_date as date) as police_filing_result_date,
    cast({{ deadline_date('police') }} as date) as police_decision_deadline,
    coalesce(cases.police_filing_result_date > {{ deadline_date('police') }}, false) as is_police_decision_late,
    cast(cases.case_status as varchar(2)) as case_status
from cases
    {{ deadline_joins('police', 'cases.transfer_date', rule_param('finding.late_police_filing_decision', 'days'), 'calendar') }}
