with latest as (
    {{ latest_versions(source('lake', 'inspection'), ['ZTDM', 'JCBH']) }}
)

select
    "ZTDM" || '|' || "JCBH" as inspection_id,
    "ZTDM" as entity_id,
    "JCBH" as inspection_number,
    "BSDWDM" as reporting_unit_id,
    "SXBM" as matter_code,
    "JCFS" as inspection_method,
    "JCDXMC" as inspected_party_name,
    "JCDXDM" as inspected_party_credit_code,
    "JCRQ" as inspection_date,
    "JCRY" as inspector_card_numbers,
    "JCJG" as inspection_result,
    "GLAJBH" as related_case_number,
    "JGSXBM" as supervision_item_code,
    "GXSJ" as updated_at,
    {{ lake_provenance() }}
from latest
