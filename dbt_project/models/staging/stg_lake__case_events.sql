with latest as (
    {{ latest_versions(source('lake', 'case_event'), ['ZTDM', 'AJBH', 'HJ', 'HJSJ']) }}
)

select
    "ZTDM" || '|' || "AJBH" as case_id,
    "ZTDM" as entity_id,
    "AJBH" as case_number,
    "BSDWDM" as reporting_unit_id,
    "HJ" as stage,
    "HJSJ" as stage_at,
    "CBRY" as officer_card_numbers,
    "GXSJ" as updated_at,
    batch_id
from latest
