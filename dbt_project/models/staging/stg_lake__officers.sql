with latest as (
    {{ latest_versions(source('lake', 'officer'), ['ZFZH']) }}
)

select
    "ZFZH" as card_number,
    "XM" as officer_name,
    "SFZH" as id_number,
    "SSZTDM" as entity_id,
    "ZFLY" as enforcement_domain,
    "YXQQ" as card_valid_from,
    "YXQZ" as card_valid_to,
    "ZJZT" as card_status,
    "GXSJ" as updated_at,
    {{ text_timestamp('received_at') }} as received_at
from latest
