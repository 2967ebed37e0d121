-- Each version of a 执法主体 with the dates it was in force, and where it sits (city, county).
select
    versions.dbt_scd_id as entity_version_id,
    versions.entity_id,
    versions.entity_name,
    versions.entity_nature,
    versions.division_code,
    regions.city_code,
    regions.county_code,
    versions.admin_level,
    versions.enforcement_domain,
    versions.parent_entity_id,
    versions.reporting_unit_id,
    versions.entity_status,
    versions.effective_date,
    versions.expiry_date,
    versions.received_at as taken_in_at,
    {{ scd2_validity('versions') }}
from {{ ref('snap_enforcement_entity') }} as versions
left join {{ ref('int_regions_placed') }} as regions
    on regions.division_code = versions.division_code
