with latest as (
    {{ latest_versions(source('lake', 'enforcement_entity'), ['TYSHXYDM']) }}
)

select
    "TYSHXYDM" as entity_id,
    "ZTMC" as entity_name,
    "ZTXZ" as entity_nature,
    "XZQHDM" as division_code,
    "CJ" as admin_level,
    "ZFLY" as enforcement_domain,
    "SJDWDM" as parent_entity_id,
    "BSDWDM" as reporting_unit_id,
    "ZT" as entity_status,
    "SXRQ" as effective_date,
    "SHXRQ" as expiry_date,
    "GXSJ" as updated_at,
    {{ text_timestamp('received_at') }} as received_at
from latest
