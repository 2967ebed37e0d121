-- 双公示 to 信用广东 in the `CF_*` layout (amounts in 万元). Natural persons' 证件号码 masked and names
-- partly masked (the 法定代表人 too: a natural person); the free text comes masked from fct_penalty_case.
-- What is sent is decided in int_publication_actions (standard.md §8): a publication,
-- or a withdrawal ('remove') of a decision 撤销/变更/确认违法 — also when the withdrawing version has no
-- decision date — and, after a 变更, the amended decision published again (feed_sequence orders them).
with cases as (
    select * from {{ ref('stg_lake__penalty_cases') }}
),

bodies as (
    select * from {{ ref('fct_penalty_case') }}
)

select
    cast(actions.publication_id as varchar(220)) as publication_id,
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
    cast(actions.feed_action as varchar(10)) as feed_action,
    cast(actions.feed_sequence as integer) as feed_sequence,
    cast(actions.feed_action = 'remove' as boolean) as is_withdrawn,
    cast(actions.withdrawal_reason as varchar(40)) as withdrawal_reason,
    cast(actions.withdrawal_deadline as date) as withdrawal_deadline,
    cast(actions.is_deadline_provisional as boolean) as is_deadline_provisional,
    cast(cases.updated_at as timestamp) as updated_at
from {{ ref('int_publication_actions') }} as actions
inner join cases on cases.case_id = actions.case_id
inner join bodies on bodies.case_id = actions.case_id
