-- Each officer as the 执法人员库 stood at each month end (the version in force then, else the first
-- known), and whether the card was valid that day: the 持证率 formula's numerator and denominator.
with versions as (
    select * from {{ ref('dim_officer') }}
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
    card_status = '1'
        and card_valid_from <= month_end
        and card_valid_to >= month_end as is_certified
from ranked
where pick = 1
    and card_valid_from <= month_end  -- not yet an officer before the card was issued
