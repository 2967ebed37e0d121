-- The data itself, per 报送单位 × month (谁提供、谁负责), the month being that of the cycle day that
-- took the batch in (`validated_as_of`; in daily operation the day it arrived, and for a simulated or
-- backfilled province the day the cycle stands for): 数据精准率 = accepted / received (from the batch
-- ledger), and 报送及时率 = record versions taken in within var('reporting_timely_days') days of their
-- 更新时间 / accepted record versions (cases, inspections and, from the 政务服务网, 行政许可).
with batches as (
    select * from {{ ref('stg_lake__batches') }} where reporting_unit_id <> {{ reference_unit() }}
),

counted as (
    select
        reporting_unit_id,
        {{ month_of('validated_as_of') }} as month_start,
        count(*) as batch_count,
        sum(received_count) as received_count,
        sum(accepted_count) as accepted_count,
        sum(rejected_count) as rejected_count
    from batches
    group by reporting_unit_id, {{ month_of('validated_as_of') }}
),

versions as (
    {% for entity in ['penalty_case', 'coercion_case', 'inspection', 'license'] %}
    select records.unit as reporting_unit_id, batches.validated_as_of, records."GXSJ" as updated_at
    from {{ source('lake', entity) }} as records
    inner join batches on batches.batch_id = records.batch_id
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

timely as (
    select
        reporting_unit_id,
        {{ month_of('validated_as_of') }} as month_start,
        count(*) as accepted_version_count,
        sum(
            case when {{ days_between('cast(updated_at as date)', 'validated_as_of') }} <= {{ var('reporting_timely_days') }}
            then 1 else 0 end
        ) as on_time_version_count
    from versions
    group by reporting_unit_id, {{ month_of('validated_as_of') }}
)

select
    counted.reporting_unit_id || '|' || cast(counted.month_start as varchar) as unit_month_id,
    counted.reporting_unit_id,
    counted.month_start,
    counted.batch_count,
    counted.received_count,
    counted.accepted_count,
    counted.rejected_count,
    {{ safe_ratio('counted.accepted_count', 'counted.received_count') }} as accuracy_rate,
    coalesce(timely.accepted_version_count, 0) as accepted_version_count,
    coalesce(timely.on_time_version_count, 0) as on_time_version_count,
    {{ safe_ratio('timely.on_time_version_count', 'timely.accepted_version_count') }} as timeliness_rate
from counted
left join timely
    on timely.reporting_unit_id = counted.reporting_unit_id and timely.month_start = counted.month_start
