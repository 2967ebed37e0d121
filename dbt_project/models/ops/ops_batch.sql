-- Every landed batch and what became of it: received = accepted + rejected (tested).
select
    batch_id,
    reporting_unit_id as unit,
    entity,
    channel,
    received_at,
    received_count as received,
    accepted_count as accepted,
    rejected_count as rejected,
    finding_record_count as findings,
    validated_as_of,
    {{ masked_column('ops_batch', 'unusable_reason', 'batches') }} as unusable_reason,
    {{ masked_column('ops_batch', 'source_name', 'batches') }} as source_name
from {{ ref('stg_lake__batches') }} as batches
