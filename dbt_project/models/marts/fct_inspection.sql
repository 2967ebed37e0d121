-- 行政检查: the latest version of every inspection, linked to its 互联网+监管 事项编码.
with inspections as (
    select * from {{ ref('stg_lake__inspections') }}
)

select
    inspections.inspection_id,
    inspections.entity_id,
    inspections.inspection_number,
    inspections.reporting_unit_id,
    inspections.matter_code,
    {{ entity_at('division_code') }} as division_code,
    {{ entity_at('city_code') }} as city_code,
    {{ entity_at('county_code') }} as county_code,
    {{ entity_at('enforcement_domain') }} as enforcement_domain,
    inspections.inspection_method,
    {{ masked_column('fct_inspection', 'inspected_party_name', 'inspections') }} as inspected_party_name,
    inspections.inspected_party_credit_code,
    inspections.inspection_date,
    {{ month_of('inspections.inspection_date') }} as inspection_month,
    {{ list_length('inspections.inspector_card_numbers') }} as inspector_count,
    inspections.inspection_result,
    inspections.related_case_number,
    inspections.supervision_item_code,
    inspections.updated_at,
    inspections.batch_id
from inspections
{{ entity_version_joins('inspections', 'inspections.inspection_date') }}
