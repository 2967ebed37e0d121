-- 行政许可 双公示 to 信用广东 in the `XK_*` layout. Masking as in feed_credit_dual (the same macros):
-- natural persons' 证件号码 and names, the 法定代表人's name; free text comes masked from fct_license.
-- What is sent is decided in int_license_publication_actions by the 处罚 feed's rules (standard.md §8):
-- a license is published; one that became 无效 is withdrawn ('remove').
with licenses as (
    select * from {{ ref('stg_lake__licenses') }}
),

masked as (
    select * from {{ ref('fct_license') }}
)

select
    cast(actions.publication_id as varchar(140)) as publication_id,
    cast(licenses.license_id as varchar(128)) as xk_wsh,
    cast(masked.counterparty_name_masked as varchar(400)) as xk_xdr_mc,
    cast(licenses.counterparty_type as varchar(20)) as xk_xdr_lb,
    cast(licenses.counterparty_credit_code as varchar(18)) as xk_xdr_shxym,
    cast(masked.counterparty_legal_representative_masked as varchar(100)) as xk_frdb,
    cast(licenses.counterparty_id_type as varchar(40)) as xk_xdr_zjlx,
    cast(masked.counterparty_id_number_masked as varchar(64)) as xk_xdr_zjhm,
    cast(licenses.decision_document_name as varchar(200)) as xk_xkws,
    cast(licenses.license_kind as varchar(20)) as xk_xklb,
    cast(licenses.certificate_name as varchar(200)) as xk_xkzs,
    cast(licenses.license_number as varchar(128)) as xk_xkbh,
    cast(masked.license_content as varchar(4000)) as xk_nr,
    cast(licenses.decision_date as date) as xk_jdrq,
    cast(licenses.valid_from as date) as xk_yxqz,
    cast(licenses.valid_until as date) as xk_yxqzi,
    cast(masked.licensing_authority as varchar(200)) as xk_xkjg,
    cast(licenses.licensing_authority_id as varchar(18)) as xk_xkjgdm,
    cast(licenses.license_status as varchar(2)) as xk_zt,
    cast({{ mask_free_text('licenses.data_source_name', kinds=['id', 'mobile']) }} as varchar(200)) as xk_lydw,
    cast(licenses.data_source_id as varchar(18)) as xk_lydwdm,
    cast(actions.feed_action as varchar(10)) as feed_action,
    cast(actions.feed_sequence as integer) as feed_sequence,
    cast(actions.feed_action = 'remove' as boolean) as is_withdrawn,
    cast(actions.withdrawal_reason as varchar(40)) as withdrawal_reason,
    cast(actions.publicity_deadline as date) as publicity_deadline,
    cast(actions.withdrawal_deadline as date) as withdrawal_deadline,
    cast(actions.is_deadline_provisional as boolean) as is_deadline_provisional,
    cast(licenses.updated_at as timestamp) as updated_at
from {{ ref('int_license_publication_actions') }} as actions
inner join licenses on licenses.license_id = actions.license_id
inner join masked on masked.license_id = actions.license_id
