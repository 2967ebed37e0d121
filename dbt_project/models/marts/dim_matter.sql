-- 执法事项 with history (SCD2): one row per version of a 事项编码 + 版本号.
select
    versions.dbt_scd_id as matter_history_id,
    versions.matter_version_id,
    versions.matter_code,
    versions.matter_version,
    versions.matter_name,
    versions.matter_kind,
    versions.enforcement_domain,
    versions.implementing_entity_ids,
    versions.legal_basis,
    versions.fine_min_yuan,
    versions.fine_max_yuan,
    versions.supervision_item_code,
    versions.matter_status,
    versions.effective_date,
    versions.expiry_date,
    versions.received_at as taken_in_at,
    {{ scd2_validity('versions') }}
from {{ ref('snap_matter') }} as versions
