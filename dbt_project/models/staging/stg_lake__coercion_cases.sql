with latest as (
    {{ latest_versions(source('lake', 'coercion_case'), ['ZTDM', 'QZBH']) }}
)

select
    "ZTDM" || '|' || "QZBH" as coercion_id,
    "ZTDM" as entity_id,
    "QZBH" as coercion_number,
    "BSDWDM" as reporting_unit_id,
    "SXBM" as matter_code,
    "QZLX" as coercion_type,
    "QZFS" as coercion_method,
    "CF_XDR_MC" as counterparty_name,
    "CF_XDR_LB" as counterparty_type,
    "CF_XDR_SHXYM" as counterparty_credit_code,
    "CF_XDR_ZJLX" as counterparty_id_type,
    "CF_XDR_ZJHM" as counterparty_id_number,
    "JDSWH" as decision_number,
    "JDRQ" as decision_date,
    "QSRQ" as measure_start_date,
    "JMRQ" as measure_end_date,
    coalesce("SFYC" = 'Y', false) as is_extended,
    "YCZ" as extended_until,
    "JCRQ" as release_date,
    "GLAJBH" as related_case_number,
    "CBRY" as officer_card_numbers,
    "GXSJ" as updated_at,
    {{ lake_provenance() }}
from latest
