-- standard.md §6 at the year grain (执法主体 × year), due by 31 January for the year before: flows are
-- the sums of the body's months; stocks (持证率's officers) are those at the year's end — the last
-- month of the year the warehouse reports on, December once the year is over — never summed over months.
with monthly as (
    select
        indicators.*,
        cast(extract(year from indicators.month_start) as integer) as report_year
    from {{ ref('mart_supervision_indicators') }} as indicators
),

year_ends as (
    select entity_id, report_year, max(month_start) as year_end_month
    from monthly
    group by entity_id, report_year
),

flows as (
    select
        entity_id,
        report_year,
        count(*) as month_count,
        {% for column in indicator_flow_columns() %}
        {%- if column == 'forfeiture_amount_wan' %}cast(sum({{ column }}) as decimal(18, 6))
        {%- else %}sum({{ column }}){% endif %} as {{ column }}{% if not loop.last %},
        {% endif %}{% endfor %}
    from monthly
    group by entity_id, report_year
),

counted as (
    select
        monthly.entity_id,
        monthly.report_year,
        -- a year still running is shown to date only (standard.md §6)
        monthly.report_year < extract(year from {{ as_of_date() }}) as is_year_complete,
        year_ends.year_end_month,
        monthly.entity_name,
        monthly.reporting_unit_id,
        monthly.division_code,
        monthly.city_code,
        monthly.county_code,
        monthly.enforcement_domain,
        flows.month_count,
        {% for column in indicator_flow_columns() %}flows.{{ column }},
        {% endfor %}{% for column in indicator_stock_columns() %}monthly.{{ column }}{% if not loop.last %},
        {% endif %}{% endfor %}
    from monthly
    inner join year_ends
        on year_ends.entity_id = monthly.entity_id
        and year_ends.report_year = monthly.report_year
        and year_ends.year_end_month = monthly.month_start
    inner join flows on flows.entity_id = monthly.entity_id and flows.report_year = monthly.report_year
)

select
    entity_id || '|' || cast(report_year as varchar) as indicator_id,
    counted.*,
    {{ indicator_rates() }}
from counted
