-- 行政许可 (from the 政务服务网): the latest version of every license, its 许可机关 placed as a 执法主体
-- where it is one, personal data masked as in fct_penalty_case (macros/masking.sql).
with licenses as (
    select
        staged.*,
        staged.licensing_authority_id as entity_id
    from {{ ref('stg_lake__licenses') }} as staged
)

select
    licenses.license_id,
    licenses.licensing_authority_id,
    {{ mask_free_text('licenses.licensing_authority', kinds=['id', 'mobile']) }} as licensing_authority,
    {{ entity_at('city_code') }} as city_code,
    {{ entity_at('county_code') }} as county_code,
    {{ entity_at('enforcement_domain') }} as enforcement_domain,
    licenses.counterparty_type,
    case when licenses.counterparty_type = {{ code('counterparty_type', '自然人') }} then {{ mask_person_name('licenses.counterparty_name') }}
         else {{ mask_free_text('licenses.counterparty_name', kinds=['id', 'mobile']) }} end as counterparty_name_masked,
    licenses.counterparty_credit_code,
    {{ mask_person_name('licenses.counterparty_legal_representative') }} as counterparty_legal_representative_masked,
    licenses.counterparty_id_type,
    {{ mask_id_number('licenses.counterparty_id_number') }} as counterparty_id_number_masked,
    licenses.decision_document_name,
    licenses.license_kind,
    licenses.certificate_name,
    licenses.license_number,
    {{ masked_column('fct_license', 'license_content', 'licenses') }} as license_content,
    licenses.decision_date,
    {{ month_of('licenses.decision_date') }} as decision_month,
    licenses.valid_from,
    licenses.valid_until,
    licenses.valid_until = cast('2099-12-31' as date) as is_long_term,
    licenses.license_status,
    licenses.is_invalid,
    licenses.invalidated_on,
    licenses.data_source_id,
    {{ masked_column('fct_license', 'remarks', 'licenses') }} as remarks,
    licenses.updated_at,
    licenses.batch_id
from licenses
{{ entity_version_joins('licenses', 'licenses.decision_date') }}
