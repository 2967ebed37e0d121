-- 零执法 (the yearly template's "0" rule): a body that holds 事项 of a kind (处罚 / 强制 / 检查) in a
-- year and reported no record of that kind that year. Years: those of the reporting months.
with years as (
    select distinct extract(year from month_start) as report_year from {{ ref('int_months') }}
),

bodies as (
    select * from {{ ref('int_entity_versions_dated') }} where is_current
),

held as (
    select
        bodies.entity_id,
        matters.matter_kind,
        count(distinct matters.matter_code) as matters_held
    from bodies
    inner join {{ ref('dim_matter') }} as matters
        on matters.is_current and {{ list_contains('matters.implementing_entity_ids', 'bodies.entity_id') }}
    group by bodies.entity_id, matters.matter_kind
),

reported as (
    select entity_id, 'CF' as matter_kind, extract(year from decision_date) as report_year, count(*) as records
    from {{ ref('fct_penalty_case') }} where is_decided
    group by entity_id, extract(year from decision_date)
    union all
    select entity_id, 'QZ', extract(year from decision_date), count(*)
    from {{ ref('fct_coercion_case') }}
    group by entity_id, extract(year from decision_date)
    union all
    select entity_id, 'JC', extract(year from inspection_date), count(*)
    from {{ ref('fct_inspection') }}
    group by entity_id, extract(year from inspection_date)
)

select
    held.entity_id || '|' || held.matter_kind || '|' || cast(years.report_year as varchar) as zero_enforcement_id,
    held.entity_id,
    bodies.entity_name,
    bodies.city_code,
    bodies.county_code,
    bodies.enforcement_domain,
    cast(years.report_year as integer) as report_year,
    held.matter_kind,
    kinds.label as matter_kind_name,
    held.matters_held
from held
cross join years
inner join bodies on bodies.entity_id = held.entity_id
left join {{ ref('code_list') }} as kinds on kinds.codelist_id = 'matter_kind' and kinds.code = held.matter_kind
where not exists (
    select 1 from reported
    where reported.entity_id = held.entity_id
        and reported.matter_kind = held.matter_kind
        and reported.report_year = years.report_year
)
