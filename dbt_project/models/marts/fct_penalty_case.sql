-- 行政处罚案件: the latest version of every case (a 撤销 case stays, marked withdrawn), placed by the
-- body it belonged to when it acted, personal data masked: the free text here (违法事实 …) is where every
-- mart and feed reads it, masked once (macros/masking.sql).
with cases as (
    select * from {{ ref('stg_lake__penalty_cases') }}
),

heaviest as (
    select case_id, penalty_kind as heaviest_penalty_kind
    from (
        select
            case_id,
            penalty_kind,
            row_number() over (partition by case_id order by kind_weight desc) as heaviness_rank
        from {{ ref('int_penalty_case_kinds_listed') }}
    ) as ranked
    where heaviness_rank = 1
)

select
    cases.case_id,
    cases.entity_id,
    cases.case_number,
    cases.reporting_unit_id,
    cases.matter_code,
    {{ entity_at('entity_version_id') }} as entity_version_id,
    {{ entity_at('division_code') }} as division_code,
    {{ entity_at('city_code') }} as city_code,
    {{ entity_at('county_code') }} as county_code,
    {{ entity_at('enforcement_domain') }} as enforcement_domain,
    cases.case_source,
    cases.procedure_type,
    cases.counterparty_type,
    case when cases.counterparty_type = {{ code('counterparty_type', '自然人') }} then {{ mask_person_name('cases.counterparty_name') }}
         else {{ mask_free_text('cases.counterparty_name', kinds=['id', 'mobile']) }} end as counterparty_name_masked,
    cases.counterparty_credit_code,
    cases.counterparty_id_type,
    {{ mask_id_number('cases.counterparty_id_number') }} as counterparty_id_number_masked,
    {{ masked_column('fct_penalty_case', 'violation_type', 'cases') }} as violation_type,
    {{ masked_column('fct_penalty_case', 'violation_facts', 'cases') }} as violation_facts,
    {{ masked_column('fct_penalty_case', 'penalty_basis', 'cases') }} as penalty_basis,
    {{ masked_column('fct_penalty_case', 'penalty_content', 'cases') }} as penalty_content,
    {{ masked_column('fct_penalty_case', 'license_suspended', 'cases') }} as license_suspended,
    {{ masked_column('fct_penalty_case', 'remarks', 'cases') }} as remarks,
    cases.penalty_kinds,
    heaviest.heaviest_penalty_kind,
    cases.fine_amount_wan,
    cases.confiscation_amount_wan,
    cast(coalesce(cases.fine_amount_wan, 0) + coalesce(cases.confiscation_amount_wan, 0) as decimal(18, 6))
        as forfeiture_amount_wan,
    cases.decision_number,
    cases.deciding_authority_id,
    cases.violation_date,
    cases.filing_date,
    cases.decision_date,
    {{ month_of('cases.decision_date') }} as decision_month,
    cases.service_date,
    cases.payment_date,
    cases.paid_amount_yuan,
    cases.closing_date,
    cases.publicity_date,
    cases.legal_review_date,
    cases.case_status,
    cases.officer_card_numbers,
    {{ list_length('cases.officer_card_numbers') }} as officer_count,
    cases.is_major_decision,
    cases.had_hearing,
    cases.is_transferred_to_judiciary,
    cases.transfer_date,
    cases.receiving_authority,
    cases.police_filing_result,
    cases.police_filing_result_date,
    cases.review_outcome,
    cases.is_withdrawn,
    cases.decision_date is not null and not cases.is_withdrawn as is_decided,
    cases.updated_at,
    cases.batch_id,
    cases.received_at,
    cases.version_count
from cases
left join heaviest on heaviest.case_id = cases.case_id
{{ entity_version_joins('cases', 'coalesce(cases.decision_date, cases.filing_date)') }}
