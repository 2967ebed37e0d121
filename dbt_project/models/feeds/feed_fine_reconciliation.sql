-- 非税支付: each decided fine against what was paid. A fine is due var('fine_due_days') days after
-- service (行政处罚法 第六十七条); paid late (or still unpaid as of var('as_of')), the late fee is
-- var('late_fee_rate_per_day') of the fine a day, never more than the fine (第七十二条).
with fines as (
    select
        case_id,
        entity_id,
        decision_date,
        service_date,
        payment_date,
        cast(fine_amount_wan * 10000 as decimal(18, 2)) as fine_yuan,
        coalesce(paid_amount_yuan, 0) as paid_yuan,
        {{ add_days('coalesce(service_date, decision_date)', var('fine_due_days')) }} as due_date
    from {{ ref('fct_penalty_case') }}
    where is_decided and fine_amount_wan > 0
),

late as (
    select
        fines.*,
        greatest(
            {{ days_between('due_date', 'coalesce(payment_date, ' ~ as_of_date() ~ ')') }}, 0
        ) as days_late
    from fines
)

select
    cast(case_id as varchar(200)) as case_id,
    cast(entity_id as varchar(18)) as entity_id,
    cast(decision_date as date) as decision_date,
    cast(service_date as date) as service_date,
    cast(due_date as date) as due_date,
    cast(payment_date as date) as payment_date,
    cast(fine_yuan as decimal(18, 2)) as fine_yuan,
    cast(paid_yuan as decimal(18, 2)) as paid_yuan,
    cast(days_late as integer) as days_late,
    cast(least(fine_yuan * {{ var('late_fee_rate_per_day') }} * days_late, fine_yuan) as decimal(18, 2)) as late_fee_yuan,
    cast(greatest(fine_yuan + least(fine_yuan * {{ var('late_fee_rate_per_day') }} * days_late, fine_yuan) - paid_yuan, 0)
         as decimal(18, 2)) as outstanding_yuan,
    cast(paid_yuan >= fine_yuan as boolean) as is_fine_paid
from late
