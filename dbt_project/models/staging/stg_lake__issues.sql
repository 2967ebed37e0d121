select
    batch_id,
    row_number as record_number,
    severity,
    rule as rule_id,
    field as field_code,
    value as value_as_received,
    detail
from {{ source('lake', 'issue') }}
