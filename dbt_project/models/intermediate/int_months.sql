-- The months the warehouse reports on: from the first month with any activity to the as-of month.
-- Read from staging (an intermediate model never reads a mart).
with activity as (
    select min(filing_date) as first_day from {{ ref('stg_lake__penalty_cases') }}
    union all
    select min(decision_date) from {{ ref('stg_lake__penalty_cases') }}
    union all
    select min(decision_date) from {{ ref('stg_lake__coercion_cases') }}
    union all
    select min(inspection_date) from {{ ref('stg_lake__inspections') }}
),

bounds as (
    select
        {{ month_of('coalesce(min(first_day), ' ~ as_of_date() ~ ')') }} as first_month,
        {{ month_of(as_of_date()) }} as last_month
    from activity
)

select distinct
    {{ month_of('days.calendar_date') }} as month_start,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, month_of('days.calendar_date'))) }} as date) as month_end
from {{ ref('workday') }} as days
cross join bounds
where days.calendar_date >= bounds.first_month
    and days.calendar_date <= cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'bounds.last_month')) }} as date)
