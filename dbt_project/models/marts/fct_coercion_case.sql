-- 行政强制: the latest version of every 强制措施 (Art 9) and 强制执行 (Art 12), personal data masked.
with coercions as (
    select * from {{ ref('stg_lake__coercion_cases') }}
)

select
    coercions.coercion_id,
    coercions.entity_id,
    coercions.coercion_number,
    coercions.reporting_unit_id,
    coercions.matter_code,
    {{ entity_at('division_code') }} as division_code,
    {{ entity_at('city_code') }} as city_code,
    {{ entity_at('county_code') }} as county_code,
    {{ entity_at('enforcement_domain') }} as enforcement_domain,
    coercions.coercion_type,
    coercions.coercion_method,
    coercions.coercion_method in {{ codes('coercion_method', ['查封场所设施或者财物', '扣押财物', '冻结存款汇款']) }} as is_seizure,
    coercions.counterparty_type,
    case when coercions.counterparty_type = {{ code('counterparty_type', '自然人') }} then {{ mask_person_name('coercions.counterparty_name') }}
         else {{ mask_free_text('coercions.counterparty_name', kinds=['id', 'mobile']) }} end as counterparty_name_masked,
    coercions.counterparty_credit_code,
    {{ mask_id_number('coercions.counterparty_id_number') }} as counterparty_id_number_masked,
    coercions.decision_number,
    coercions.decision_date,
    {{ month_of('coercions.decision_date') }} as decision_month,
    coercions.measure_start_date,
    coercions.measure_end_date,
    coercions.is_extended,
    coercions.extended_until,
    coercions.release_date,
    coercions.related_case_number,
    {{ list_length('coercions.officer_card_numbers') }} as officer_count,
    coercions.updated_at,
    coercions.batch_id
from coercions
{{ entity_version_joins('coercions', 'coercions.decision_date') }}
