with latest as (
    {{ latest_versions(source('lake', 'penalty_case'), ['ZTDM', 'AJBH']) }}
),

-- When the case was withdrawn (撤回超期 counts from it, standard.md §4): the 更新时间 of the first
-- 已撤销 version after the last version that was not 已撤销.
status_history as (
    select
        "ZTDM",
        "AJBH",
        max(case when "AJZT" <> {{ code('case_status', '已撤销') }} then "GXSJ" end) as last_active_at,
        min(case when "AJZT" = {{ code('case_status', '已撤销') }} then "GXSJ" end) as first_withdrawn_at
    from {{ source('lake', 'penalty_case') }}
    group by "ZTDM", "AJBH"
),

withdrawals as (
    select
        history."ZTDM",
        history."AJBH",
        min(versions."GXSJ") as withdrawn_at
    from status_history as history
    inner join {{ source('lake', 'penalty_case') }} as versions
        on versions."ZTDM" = history."ZTDM" and versions."AJBH" = history."AJBH"
    where history.first_withdrawn_at is not null
        and versions."AJZT" = {{ code('case_status', '已撤销') }}
        and (history.last_active_at is null or versions."GXSJ" > history.last_active_at)
    group by history."ZTDM", history."AJBH"
)

select
    latest."ZTDM" || '|' || latest."AJBH" as case_id,
    latest."ZTDM" as entity_id,
    latest."AJBH" as case_number,
    "BSDWDM" as reporting_unit_id,
    "SXBM" as matter_code,
    "AJLY" as case_source,
    "CXLX" as procedure_type,
    "CF_XDR_MC" as counterparty_name,
    "CF_XDR_LB" as counterparty_type,
    "CF_XDR_SHXYM" as counterparty_credit_code,
    "CF_XDR_GSZC" as counterparty_business_registration,
    "CF_FRDB" as counterparty_legal_representative,
    "CF_XDR_ZJLX" as counterparty_id_type,
    "CF_XDR_ZJHM" as counterparty_id_number,
    "WFRQ" as violation_date,
    "WFZLRQ" as violation_end_date,
    coalesce("WHHG" = 'Y', false) as has_harmful_consequences,
    "LARQ" as filing_date,
    "YCQXZ" as extended_deadline,
    "CF_WFXW" as violation_type,
    "CF_SY" as violation_facts,
    "CF_YJ" as penalty_basis,
    "CF_CFLB" as penalty_kinds,
    "CF_NR" as penalty_content,
    cast("CF_NR_FK" as decimal(18, 6)) as fine_amount_wan,
    cast("CF_NR_WFFF" as decimal(18, 6)) as confiscation_amount_wan,
    "CF_NR_ZKDX" as license_suspended,
    "CF_WSH" as decision_number,
    "CF_JDRQ" as decision_date,
    "CF_YXQ" as penalty_valid_until,
    "CF_GSJZQ" as publicity_until,
    "CF_CFJG" as deciding_authority,
    "CF_CFJGDM" as deciding_authority_id,
    "CF_SJLY" as data_source_name,
    "CF_SJLYDM" as data_source_id,
    "CBRY" as officer_card_numbers,
    "SFZD" = 'Y' as is_major_decision,
    "FZSHRQ" as legal_review_date,
    coalesce("SFTZ" = 'Y', false) as had_hearing,
    "SDRQ" as service_date,
    "JKRQ" as payment_date,
    "SJFS" as fine_collection_method,
    cast("SJJE" as decimal(18, 2)) as paid_amount_yuan,
    "ZXFS" as execution_method,
    "AJZT" as case_status,
    "JARQ" as closing_date,
    coalesce("SFYS" = 'Y', false) as is_transferred_to_judiciary,
    "YSRQ" as transfer_date,
    "JSJG" as receiving_authority,
    "GALAJG" as police_filing_result,
    "LAJGRQ" as police_filing_result_date,
    "FYSS" as review_outcome,
    "FYSSRQ" as review_outcome_date,
    "GSRQ" as publicity_date,
    "CHGSRQ" as publicity_withdrawn_date,
    "BZ" as remarks,
    "AJZT" = {{ code('case_status', '已撤销') }} as is_withdrawn,
    cast(withdrawals.withdrawn_at as date) as withdrawn_on,
    latest."GXSJ" as updated_at,
    {{ lake_provenance() }},
    version_count
from latest
left join withdrawals on withdrawals."ZTDM" = latest."ZTDM" and withdrawals."AJBH" = latest."AJBH"
