-- 数据精准率 and 报送及时率 per city × month of receipt, for the 通报: the counts of the 报送单位 of the
-- city (as the body stands today in the 执法主体库) summed, the rates recomputed from the sums (never an
-- average of units' rates, which would weigh a unit that sent 3 records like one that sent 3,000).
-- A unit the 执法主体库 does not know is placed by the bodies of the records it sent when they all lie in
-- one city: a city instance reporting for its city's units (docs/two-levels.md) is that city's, not 省直.
-- city_code is null for the province's own departments (省直) and for any other unit the 执法主体库 does
-- not know.
with units as (
    select * from {{ ref('mart_unit_data_quality') }}
),

known as (
    select entity_id, city_code from {{ ref('dim_enforcement_entity') }} where is_current
),

records as (
    select batch_id, city_code from {{ ref('fct_penalty_case') }}
    union all
    select batch_id, city_code from {{ ref('fct_coercion_case') }}
    union all
    select batch_id, city_code from {{ ref('fct_inspection') }}
),

placed_by_records as (
    select batches.reporting_unit_id as entity_id, min(records.city_code) as city_code
    from records
    inner join {{ ref('stg_lake__batches') }} as batches on batches.batch_id = records.batch_id
    where batches.reporting_unit_id not in (select entity_id from known)
    group by batches.reporting_unit_id
    having count(distinct records.city_code) = 1 and count(records.city_code) = count(*)
),

bodies as (
    select entity_id, city_code from known
    union all
    select entity_id, city_code from placed_by_records
),

summed as (
    select
        units.month_start,
        bodies.city_code,
        count(*) as unit_count,
        {{ data_quality_sums('units') }}
    from units
    left join bodies on bodies.entity_id = units.reporting_unit_id
    group by units.month_start, bodies.city_code
)

select
    coalesce(city_code, '') || '|' || cast(month_start as varchar) as city_month_id,
    month_start,
    city_code,
    unit_count,
    {{ data_quality_columns() }}
from summed
