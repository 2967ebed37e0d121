-- 办案环节: the stages each penalty case went through — as reported (办案环节 records) and as read
-- from the case's own dates (立案受理, 决定, 送达, 结案) where a unit reported no such stage.
with reported as (
    select
        case_id,
        entity_id,
        stage,
        cast(stage_at as date) as stage_date,
        'reported' as event_source
    from {{ ref('stg_lake__case_events') }}
),

derived as (
    select case_id, entity_id, {{ code('case_stage', '立案受理') }} as stage, filing_date as stage_date, 'case_dates' as event_source
    from {{ ref('stg_lake__penalty_cases') }} where filing_date is not null
    union all
    select case_id, entity_id, {{ code('case_stage', '决定') }}, decision_date, 'case_dates'
    from {{ ref('stg_lake__penalty_cases') }} where decision_date is not null
    union all
    select case_id, entity_id, {{ code('case_stage', '送达') }}, service_date, 'case_dates'
    from {{ ref('stg_lake__penalty_cases') }} where service_date is not null
    union all
    select case_id, entity_id, {{ code('case_stage', '结案') }}, closing_date, 'case_dates'
    from {{ ref('stg_lake__penalty_cases') }} where closing_date is not null
),

events as (
    select * from reported
    union all
    select derived.* from derived
    where not exists (
        select 1 from reported where reported.case_id = derived.case_id and reported.stage = derived.stage
    )
)

select
    md5(events.case_id || '|' || events.stage || '|' || cast(events.stage_date as varchar) || '|' || events.event_source)
        as case_event_id,
    events.case_id,
    events.entity_id,
    events.stage,
    stages.label as stage_name,
    events.stage_date,
    events.event_source
from events
left join {{ ref('code_list') }} as stages
    on stages.codelist_id = 'case_stage' and stages.code = events.stage
