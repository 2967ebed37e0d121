-- 事项 ↔ 互联网+监管 监管事项 (plan task 18): every 事项 in use with its 监管事项编码 and how many
-- inspections were reported under it. A 行政检查 事项 needs one (the 监管事项目录 lists 检查 actions):
-- one without it is a gap, listed per 执法主体 in mart_supervision_item_gaps.
with matters as (
    -- the highest 版本号 in use of each 事项编码 (an older version may still be listed as current)
    select *
    from (
        select
            versions.*,
            row_number() over (partition by matter_code order by matter_version desc) as version_rank
        from {{ ref('dim_matter') }} as versions
        where is_current and matter_status = {{ code('matter_status', '在用') }}
    ) as ranked
    where version_rank = 1
),

inspections as (
    select
        matter_code,
        count(*) as inspection_count,
        sum(case when supervision_item_code is not null then 1 else 0 end) as inspections_with_code
    from {{ ref('fct_inspection') }}
    group by matter_code
)

select
    matters.matter_code,
    matters.matter_version,
    matters.matter_name,
    matters.matter_kind,
    matters.enforcement_domain,
    matters.supervision_item_code,
    matters.matter_kind = {{ code('matter_kind', '行政检查') }} as needs_mapping,
    matters.supervision_item_code is not null as is_mapped,
    cast(coalesce(inspections.inspection_count, 0) as bigint) as inspection_count,
    cast(coalesce(inspections.inspections_with_code, 0) as bigint) as inspections_with_code
from matters
left join inspections on inspections.matter_code = matters.matter_code
