-- Each version of an officer's card with the dates it was in force (SCD2, from the snapshot: the
-- intermediate layer reads below itself, never a mart).
select
    versions.dbt_scd_id as officer_version_id,
    versions.card_number,
    versions.entity_id,
    versions.card_status,
    versions.card_valid_from,
    versions.card_valid_to,
    {{ scd2_validity('versions') }}
from {{ ref('snap_officer') }} as versions
