-- 行刑衔接: cases the body transferred to the judicial organs (是否移送司法机关 = Y).
select
    cast(case_id as varchar(200)) as case_id,
    cast(entity_id as varchar(18)) as entity_id,
    cast(case_number as varchar(100)) as case_number,
    cast(city_code as varchar(6)) as city_code,
    cast(enforcement_domain as varchar(40)) as enforcement_domain,
    cast(counterparty_name_masked as varchar(400)) as counterparty_name_masked,
    cast(counterparty_id_number_masked as varchar(40)) as counterparty_id_number_masked,
    cast(violation_type as varchar(2000)) as violation_type,
    cast(filing_date as date) as filing_date,
    cast(decision_date as date) as decision_date,
    cast(case_status as varchar(2)) as case_status
from {{ ref('fct_penalty_case') }}
where is_transferred_to_judiciary and not is_withdrawn
