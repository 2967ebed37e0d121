-- Each officer as the 执法人员库 stood at each month end (the version in force then, else the first
-- known): whether the officer was in service then and held a valid card — the 持证率's denominator
-- and numerator (standard.md §6). A card 注销, or expired more than a year before the month end, is
-- someone who has left, not a gap in certification; not yet an officer before the card was issued.
with versions as (
    select * from {{ ref('int_officer_versions_dated') }}
),

months as (
    select * from {{ ref('int_months') }}
),

ranked as (
    select
        versions.card_number,
        versions.entity_id,
        versions.card_status,
        versions.card_valid_from,
        versions.card_valid_to,
        months.month_start,
        months.month_end,
        row_number() over (
            partition by versions.card_number, months.month_start
            order by
                case when versions.valid_from <= months.month_end
                      and (versions.valid_to is null or versions.valid_to > months.month_end) then 0 else 1 end,
                versions.valid_from
        ) as pick
    from versions
    cross join months
)

select
    card_number,
    entity_id,
    month_start,
    card_status <> {{ code('card_status', '注销') }}
        and cast({{ dbt.dateadd('year', 1, 'card_valid_to') }} as date) >= month_end as is_in_service,
    card_status = {{ code('card_status', '有效') }}
        and card_valid_from <= month_end
        and card_valid_to >= month_end as is_certified
from ranked
where pick = 1
    and card_valid_from <= month_end
