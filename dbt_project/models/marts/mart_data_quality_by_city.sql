-- 数据精准率 and 报送及时率 per city × month of receipt, for the 通报: the counts of the 报送单位 of the
-- city (as the body stands today in the 执法主体库) summed, the rates recomputed from the sums (never an
-- average of units' rates, which would weigh a unit that sent 3 records like one that sent 3,000).
-- city_code is null for the province's own departments (省直) and for a unit the 执法主体库 does not know.
with units as (
    select * from {{ ref('mart_unit_data_quality') }}
),

bodies as (
    select entity_id, city_code from {{ ref('dim_enforcement_entity') }} where is_current
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
