-- 执法人员 with history (SCD2), personal data masked (姓名 partly, 身份证号 to 6 + 4 characters).
select
    versions.dbt_scd_id as officer_version_id,
    versions.card_number,
    {{ mask_person_name('versions.officer_name') }} as officer_name_masked,
    {{ mask_id_number('versions.id_number') }} as id_number_masked,
    versions.entity_id,
    versions.enforcement_domain,
    versions.card_valid_from,
    versions.card_valid_to,
    versions.card_status,
    versions.received_at as taken_in_at,
    {{ scd2_validity('versions') }}
from {{ ref('snap_officer') }} as versions
