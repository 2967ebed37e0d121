select
    batch_id,
    row_number as record_number,
    severity,
    rule as rule_id,
    field as field_code,
    value as value_as_received,
    detail,
    -- the validator's answer depended on a year whose holidays are not announced yet (standard.md §4)
    coalesce(provisional, false) as is_provisional
from {{ source('lake', 'issue') }}
