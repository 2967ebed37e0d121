-- 零执法 (the yearly template's "0" rule, standard.md §6), per body × kind (处罚 / 强制 / 检查) × whole
-- year: the body was in force the whole year, held for the whole year at least one 事项 of that kind
-- in force (状态 在用, by its history), and reported no action of that kind in the year. Only years
-- that have ended are judged: a year in progress is never listed; a body founded or abolished during a
-- year, or not yet existing, is left out for that year.
with years as (
    select
        cast(extract(year from calendar_date) as integer) as report_year,
        min(calendar_date) as year_start,
        max(calendar_date) as year_end
    from {{ ref('workday') }}
    group by cast(extract(year from calendar_date) as integer)
),

reported_years as (
    select years.*
    from years
    where years.year_end < {{ as_of_date() }}
        and years.report_year >= (select min(extract(year from month_start)) from {{ ref('int_months') }})
),

entity_versions as (
    select * from {{ ref('int_entity_versions_dated') }}
),

-- A body's life: from its 生效日期 to its 失效日期, or to the day a version first recorded it 撤销.
bodies as (
    select
        current_version.*,
        coalesce(current_version.expiry_date, abolished.abolished_on) as ended_on
    from entity_versions as current_version
    left join (
        select entity_id, min(coalesce(expiry_date, valid_from)) as abolished_on
        from entity_versions
        where entity_status = {{ code('entity_status', '撤销') }}
        group by entity_id
    ) as abolished on abolished.entity_id = current_version.entity_id
    where current_version.is_current
),

bodies_in_force as (
    select bodies.*, reported_years.report_year, reported_years.year_start, reported_years.year_end
    from bodies
    inner join reported_years
        on bodies.effective_date <= reported_years.year_start
        and (bodies.ended_on is null or bodies.ended_on >= reported_years.year_end)
    where not exists (
        select 1 from entity_versions as versions
        where versions.entity_id = bodies.entity_id
            and versions.entity_status <> {{ code('entity_status', '有效') }}
            and versions.valid_from <= reported_years.year_end
            and (versions.valid_to is null or versions.valid_to > reported_years.year_start)
    )
),

matter_versions as (
    select * from {{ ref('dim_matter') }}
),

matters as (
    select
        current_version.*,
        coalesce(current_version.expiry_date, cancelled.cancelled_on) as ended_on
    from matter_versions as current_version
    left join (
        select matter_version_id, min(coalesce(expiry_date, valid_from)) as cancelled_on
        from matter_versions
        where matter_status = {{ code('matter_status', '取消') }}
        group by matter_version_id
    ) as cancelled on cancelled.matter_version_id = current_version.matter_version_id
    where current_version.is_current
),

-- Each current 事项 once per body listed among its 实施主体: joined on the body's code (a pattern
-- match of every body against every 事项's list was most of this model's time).
matter_holders as (
    select matters.*, holder_items.item as holder_id
    from matters
    cross join {{ list_items('matters.implementing_entity_ids') }} as holder_items(item)
),

-- A 事项 held the whole year: in force from before the year to after it, and every version of it the
-- year saw was 在用 and listed the body among its 实施主体.
held as (
    select
        bodies_in_force.entity_id,
        bodies_in_force.report_year,
        matters.matter_kind,
        count(distinct matters.matter_version_id) as matters_held
    from bodies_in_force
    inner join matter_holders as matters
        on matters.holder_id = bodies_in_force.entity_id
        and matters.effective_date <= bodies_in_force.year_start
        and (matters.ended_on is null or matters.ended_on >= bodies_in_force.year_end)
    where not exists (
        select 1 from matter_versions as versions
        where versions.matter_version_id = matters.matter_version_id
            and versions.valid_from <= bodies_in_force.year_end
            and (versions.valid_to is null or versions.valid_to > bodies_in_force.year_start)
            and (versions.matter_status <> {{ code('matter_status', '在用') }}
                 or not {{ list_contains('versions.implementing_entity_ids', 'bodies_in_force.entity_id') }})
    )
    group by bodies_in_force.entity_id, bodies_in_force.report_year, matters.matter_kind
),

reported as (
    select entity_id, {{ code('matter_kind', '行政处罚') }} as matter_kind,
           cast(extract(year from decision_date) as integer) as report_year
    from {{ ref('fct_penalty_case') }} where is_decided
    union all
    select entity_id, {{ code('matter_kind', '行政强制') }}, cast(extract(year from decision_date) as integer)
    from {{ ref('fct_coercion_case') }}
    union all
    select entity_id, {{ code('matter_kind', '行政检查') }}, cast(extract(year from inspection_date) as integer)
    from {{ ref('fct_inspection') }}
)

select
    held.entity_id || '|' || held.matter_kind || '|' || cast(held.report_year as varchar) as zero_enforcement_id,
    held.entity_id,
    bodies.entity_name,
    bodies.city_code,
    bodies.county_code,
    bodies.enforcement_domain,
    held.report_year,
    held.matter_kind,
    kinds.label as matter_kind_name,
    held.matters_held
from held
inner join bodies on bodies.entity_id = held.entity_id
left join {{ ref('code_list') }} as kinds on kinds.codelist_id = 'matter_kind' and kinds.code = held.matter_kind
where not exists (
    select 1 from reported
    where reported.entity_id = held.entity_id
        and reported.matter_kind = held.matter_kind
        and reported.report_year = held.report_year
)
