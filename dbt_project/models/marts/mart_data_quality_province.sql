-- The province's 数据精准率 and 报送及时率 per month of receipt: the city rows' counts summed, the rates
-- recomputed from the sums.
with cities as (
    select * from {{ ref('mart_data_quality_by_city') }}
),

summed as (
    select
        month_start,
        sum(unit_count) as unit_count,
        sum(batch_count) as batch_count,
        sum(received_count) as received_count,
        sum(accepted_count) as accepted_count,
        sum(rejected_count) as rejected_count,
        sum(accepted_version_count) as accepted_version_count,
        sum(on_time_version_count) as on_time_version_count
    from cities
    group by month_start
)

select
    month_start,
    unit_count,
    batch_count,
    received_count,
    accepted_count,
    rejected_count,
    {{ safe_ratio('accepted_count', 'received_count') }} as accuracy_rate,
    accepted_version_count,
    on_time_version_count,
    {{ safe_ratio('on_time_version_count', 'accepted_version_count') }} as timeliness_rate
from summed
