with latest as (
    {{ latest_versions(source('lake', 'matter'), ['SXBM', 'BBH']) }}
)

select
    "SXBM" || '|' || cast("BBH" as varchar) as matter_version_id,
    "SXBM" as matter_code,
    "BBH" as matter_version,
    "SXMC" as matter_name,
    "SXLB" as matter_kind,
    "ZFLY" as enforcement_domain,
    "SSZTDM" as implementing_entity_ids,
    "SDYJ" as legal_basis,
    cast("FKXX" as decimal(18, 2)) as fine_min_yuan,
    cast("FKSX" as decimal(18, 2)) as fine_max_yuan,
    "JGSXBM" as supervision_item_code,
    "ZT" as matter_status,
    "SXRQ" as effective_date,
    "SHXRQ" as expiry_date,
    "GXSJ" as updated_at,
    {{ text_timestamp('received_at') }} as received_at
from latest
