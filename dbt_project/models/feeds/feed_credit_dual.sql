-- 双公示 to 信用广东 in the `CF_*` layout (amounts in 万元). Natural persons' 证件号码 masked and names
-- partly masked (the 法定代表人 too: a natural person); the free text comes masked from fct_penalty_case; a 市场监管 case whose only penalty is a 警告 is not published; a withdrawn case is
-- sent with action 'remove' so the platform takes it down.
with cases as (
    select * from {{ ref('stg_lake__penalty_cases') }}
),

bodies as (
    select * from {{ ref('fct_penalty_case') }}
)

select
    cast(cases.case_id as varchar(200)) as case_id,
    cast(cases.decision_number as varchar(200)) as cf_wsh,
    cast(bodies.counterparty_name_masked as varchar(400)) as cf_xdr_mc,
    cast(cases.counterparty_type as varchar(20)) as cf_xdr_lb,
    cast(cases.counterparty_credit_code as varchar(18)) as cf_xdr_shxym,
    cast(cases.counterparty_business_registration as varchar(100)) as cf_xdr_gszc,
    cast({{ mask_person_name('cases.counterparty_legal_representative') }} as varchar(100)) as cf_frdb,
    cast(cases.counterparty_id_type as varchar(40)) as cf_xdr_zjlx,
    cast({{ mask_id_number('cases.counterparty_id_number') }} as varchar(40)) as cf_xdr_zjhm,
    cast(bodies.violation_type as varchar(2000)) as cf_wfxw,
    cast(bodies.violation_facts as varchar(5000)) as cf_sy,
    cast(bodies.penalty_basis as varchar(2000)) as cf_yj,
    cast(cases.penalty_kinds as varchar(200)) as cf_cflb,
    cast(bodies.penalty_content as varchar(4000)) as cf_nr,
    cast(cases.fine_amount_wan as decimal(18, 6)) as cf_nr_fk,
    cast(cases.confiscation_amount_wan as decimal(18, 6)) as cf_nr_wfff,
    cast(bodies.license_suspended as varchar(200)) as cf_nr_zkdx,
    cast(cases.decision_date as date) as cf_jdrq,
    cast(cases.penalty_valid_until as date) as cf_yxq,
    cast(cases.publicity_until as date) as cf_gsjzq,
    cast({{ mask_free_text('cases.deciding_authority', kinds=['id', 'mobile']) }} as varchar(200)) as cf_cfjg,
    cast(cases.deciding_authority_id as varchar(18)) as cf_cfjgdm,
    cast({{ mask_free_text('cases.data_source_name', kinds=['id', 'mobile']) }} as varchar(200)) as cf_sjly,
    cast(cases.data_source_id as varchar(18)) as cf_sjlydm,
    cast(case when cases.is_withdrawn then 'remove' else 'publish' end as varchar(10)) as feed_action,
    cast(cases.is_withdrawn as boolean) as is_withdrawn,
    cast(cases.updated_at as timestamp) as updated_at
from cases
inner join bodies on bodies.case_id = cases.case_id
where cases.decision_date is not null
    and not (bodies.enforcement_domain = '市场监管' and cases.penalty_kinds = '警告')
