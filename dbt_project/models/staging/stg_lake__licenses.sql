-- 行政许可 from the 政务服务网 (the 双公示 行政许可 layout): the latest version of each 许可决定文书号.
with latest as (
    {{ latest_versions(source('lake', 'license'), ['XK_WSH']) }}
),

-- When the license became 无效 (its withdrawal from 双公示 counts from it, standard.md §8): the 更新时间
-- of the first 无效 version after the last 有效 one.
status_history as (
    select
        "XK_WSH",
        max(case when "XK_ZT" <> {{ code('license_status', '无效') }} then "GXSJ" end) as last_valid_at
    from {{ source('lake', 'license') }}
    group by "XK_WSH"
),

invalidations as (
    select
        versions."XK_WSH",
        min(versions."GXSJ") as invalidated_at
    from {{ source('lake', 'license') }} as versions
    inner join status_history as history on history."XK_WSH" = versions."XK_WSH"
    where versions."XK_ZT" = {{ code('license_status', '无效') }}
        and (history.last_valid_at is null or versions."GXSJ" > history.last_valid_at)
    group by versions."XK_WSH"
)

select
    latest."XK_WSH" as license_id,
    "XK_XDR_MC" as counterparty_name,
    "XK_XDR_LB" as counterparty_type,
    "XK_XDR_SHXYM" as counterparty_credit_code,
    "XK_FRDB" as counterparty_legal_representative,
    "XK_XDR_ZJLX" as counterparty_id_type,
    "XK_XDR_ZJHM" as counterparty_id_number,
    "XK_XKWS" as decision_document_name,
    "XK_XKLB" as license_kind,
    "XK_XKZS" as certificate_name,
    "XK_XKBH" as license_number,
    "XK_NR" as license_content,
    "XK_JDRQ" as decision_date,
    "XK_YXQZ" as valid_from,
    "XK_YXQZI" as valid_until,
    "XK_XKJG" as licensing_authority,
    "XK_XKJGDM" as licensing_authority_id,
    "XK_ZT" as license_status,
    "XK_LYDW" as data_source_name,
    "XK_LYDWDM" as data_source_id,
    "BZ" as remarks,
    "XK_ZT" = {{ code('license_status', '无效') }} as is_invalid,
    cast(invalidations.invalidated_at as date) as invalidated_on,
    latest."GXSJ" as updated_at,
    {{ lake_provenance() }}
from latest
left join invalidations on invalidations."XK_WSH" = latest."XK_WSH"
