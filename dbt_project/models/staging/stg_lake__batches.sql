select
    batch_id,
    unit as reporting_unit_id,
    entity,
    channel,
    {{ text_timestamp('received_at') }} as received_at,
    window_start,
    window_end,
    source_name,
    received as received_count,
    accepted as accepted_count,
    rejected as rejected_count,
    findings as finding_record_count,
    cast(validated_as_of as date) as validated_as_of,
    unusable_reason
from {{ source('lake', 'ledger') }}
