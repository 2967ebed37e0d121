-- Every rejected row with its reason in Chinese (the unit's feedback is built from this). The value
-- as sent is kept here only when the field carries no personal data, and with any 身份证号 or mobile
-- number written in it masked.
with rejections as (
    select * from {{ ref('stg_lake__issues') }} where severity = 'reject'
),

batches as (
    select * from {{ ref('stg_lake__batches') }}
)

select
    md5(rejections.batch_id || '|' || cast(rejections.record_number as varchar) || '|' || rejections.rule_id
        || '|' || coalesce(rejections.field_code, '')) as rejection_id,
    rejections.batch_id,
    batches.reporting_unit_id as unit,
    batches.entity,
    rejections.record_number as row_number,
    rejections.rule_id as rule,
    rejections.field_code as field,
    fields.field_name,
    -- Worded as `zfjd validate` words it (standards/messages.py), through the generated rule_text.
    {{ rule_text('rules.message', 'fields.field_name', 'rejections.field_code') }} as message,
    {{ rule_text('rules.hint', 'fields.field_name', 'rejections.field_code') }} as hint,
    case when coalesce(fields.is_personal, false) then null
         else {{ masked_column('ops_rejection', 'value_as_received', 'rejections') }} end as value,
    {{ masked_column('ops_rejection', 'detail', 'rejections') }} as detail
from rejections
inner join batches on batches.batch_id = rejections.batch_id
left join {{ ref('rule') }} as rules on rules.rule_id = rejections.rule_id
left join {{ ref('field') }} as fields
    on fields.entity = batches.entity and fields.field_code = rejections.field_code
