-- The 检查 事项 without a 互联网+监管 监管事项编码, listed per 执法主体 that holds them (权责清单 SSZTDM):
-- what each body's 司法局 has to get mapped before its inspections can reach the national system.
with gaps as (
    select * from {{ ref('mart_supervision_item_map') }}
    where needs_mapping and not is_mapped
),

holders as (
    select * from {{ ref('dim_matter') }}
    where is_current
),

bodies as (
    select * from {{ ref('dim_enforcement_entity') }}
    where is_current
),

inspections as (
    select entity_id, matter_code, count(*) as inspection_count
    from {{ ref('fct_inspection') }}
    group by entity_id, matter_code
)

select
    bodies.entity_id || '|' || gaps.matter_code as gap_id,
    bodies.entity_id,
    bodies.entity_name,
    bodies.city_code,
    bodies.county_code,
    bodies.reporting_unit_id,
    gaps.matter_code,
    gaps.matter_name,
    gaps.enforcement_domain,
    cast(coalesce(inspections.inspection_count, 0) as bigint) as inspection_count
from gaps
inner join holders on holders.matter_code = gaps.matter_code and holders.matter_version = gaps.matter_version
inner join bodies on {{ list_contains('holders.implementing_entity_ids', 'bodies.entity_id') }}
left join inspections
    on inspections.entity_id = bodies.entity_id
    and inspections.matter_code = gaps.matter_code
