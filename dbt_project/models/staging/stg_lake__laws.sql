with latest as (
    {{ latest_versions(source('lake', 'law'), ['FGBH']) }}
)

select
    "FGBH" as law_id,
    "FGMC" as law_title,
    "XLJB" as law_level,
    "FBJG" as enacting_body,
    "SSRQ" as effective_date,
    "SXRQ" as expiry_date,
    "GXSJ" as updated_at
from latest
