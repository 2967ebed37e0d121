-- 互联网+监管 (standard.md §8, plan tasks 7 and 18): the 检查实施 records for the national system, keyed by
-- 监管事项编码 — the one the unit reported (JGSXBM), else its 事项's in the 执法事项库. An inspection whose
-- 事项 has no 监管事项编码 is not sent: the gap is listed per body in mart_supervision_item_gaps.
-- The inspected party's name comes masked from fct_inspection.
with inspections as (
    select * from {{ ref('fct_inspection') }}
),

mapping as (
    select matter_code, supervision_item_code from {{ ref('mart_supervision_item_map') }}
),

bodies as (
    select entity_id, entity_name from {{ ref('dim_enforcement_entity') }}
    where is_current
)

select
    cast(inspections.inspection_id as varchar(200)) as inspection_id,
    cast(coalesce(inspections.supervision_item_code, mapping.supervision_item_code) as varchar(64)) as jgsxbm,
    cast(inspections.supervision_item_code is null as boolean) as is_code_from_matter,
    cast(inspections.matter_code as varchar(64)) as sxbm,
    cast(inspections.inspection_number as varchar(64)) as jcbh,
    cast(inspections.entity_id as varchar(18)) as jczt_dm,
    cast(bodies.entity_name as varchar(200)) as jczt_mc,
    cast(inspections.inspection_method as varchar(2)) as jcfs,
    cast(inspections.inspection_date as date) as jcrq,
    cast(inspections.inspected_party_name as varchar(400)) as jcdx_mc,
    cast(inspections.inspected_party_credit_code as varchar(18)) as jcdx_dm,
    cast(inspections.inspection_result as varchar(2)) as jcjg,
    cast(inspections.inspector_count as integer) as jcry_rs,
    cast(inspections.related_case_number as varchar(64)) as glajbh,
    cast(inspections.updated_at as timestamp) as updated_at
from inspections
left join mapping on mapping.matter_code = inspections.matter_code
left join bodies on bodies.entity_id = inspections.entity_id
where coalesce(inspections.supervision_item_code, mapping.supervision_item_code) is not null
