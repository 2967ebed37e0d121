-- 执法主体 with history (SCD2): one row per version; `is_current` marks today's.
select * from {{ ref('int_entity_versions_dated') }}
