-- The province's 数据精准率 and 报送及时率 per month of receipt: the city rows' counts summed, the rates
-- recomputed from the sums.
with cities as (
    select * from {{ ref('mart_data_quality_by_city') }}
),

summed as (
    select
        month_start,
        sum(cities.unit_count) as unit_count,
        {{ data_quality_sums('cities') }}
    from cities
    group by month_start
)

select
    month_start,
    unit_count,
    {{ data_quality_columns() }}
from summed
