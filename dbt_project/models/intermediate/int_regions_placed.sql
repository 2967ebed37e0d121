-- 行政区划 (GB/T 2260, the standard's Guangdong list): every division with its city and county.
-- 东莞 and 中山 have no counties: their townships hang directly under the city.
with regions as (
    select * from {{ ref('region') }}
),

parents as (
    select * from {{ ref('region') }}
),

placed as (
    select
        regions.division_code,
        regions.division_name,
        regions.division_level,
        regions.parent_code,
        case regions.division_level
            when 'city' then regions.division_code
            when 'county' then regions.parent_code
            when 'township' then case when parents.division_level = 'city' then parents.division_code else parents.parent_code end
        end as city_code,
        case
            when regions.division_level = 'county' then regions.division_code
            when regions.division_level = 'township' and parents.division_level = 'county' then parents.division_code
        end as county_code
    from regions
    left join parents on parents.division_code = regions.parent_code
)

select
    placed.division_code,
    placed.division_name,
    placed.division_level,
    placed.parent_code,
    placed.city_code,
    cities.division_name as city_name,
    placed.county_code,
    counties.division_name as county_name
from placed
left join regions as cities on cities.division_code = placed.city_code
left join regions as counties on counties.division_code = placed.county_code
