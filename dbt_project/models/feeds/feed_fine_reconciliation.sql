-- 非税支付 (standard.md §8): each decided fine against what was paid.
-- - The fine is due var('fine_due_days') (15) days after 送达 (行政处罚法 第六十七条: 自收到行政处罚决定书
--   之日起); a last day that is not a working day moves to the next working day (macros/deadlines.sql).
--   An unserved decision has no due date and accrues nothing.
-- - Paid late, or unpaid as of var('as_of'): var('late_fee_rate_per_day') (3%) of the fine a day from
--   the day after the due date, never more than the fine (第七十二条).
-- - Nothing is owed on a decision 撤销 (by the body or on 复议/诉讼) or 确认违法.
-- - Where a 复议 or 诉讼 ran (维持 or 变更 recorded), its days do not count (第七十三条) and the lake has
--   not its dates: the late fee is not computed and the row says why, rather than a number that may be wrong.
with fines as (
    select
        cases.case_id,
        cases.entity_id,
        cases.decision_date,
        cases.service_date,
        cases.payment_date,
        assessed.review_outcome,
        assessed.is_fine_void,
        cast(cases.fine_amount_wan * 10000 as decimal(18, 2)) as fine_yuan,
        coalesce(cases.paid_amount_yuan, 0) as paid_yuan,
        {{ deadline_date('payment') }} as due_date,
        {{ deadline_is_provisional('payment', 'calendar') }} as is_due_date_provisional
    from {{ ref('fct_penalty_case') }} as cases
    inner join {{ ref('int_penalty_cases_assessed') }} as assessed on assessed.case_id = cases.case_id
    {{ deadline_joins('payment', 'cases.service_date', var('fine_due_days'), 'calendar') }}
    where cases.decision_date is not null and cases.fine_amount_wan > 0
),

judged as (
    select
        fines.*,
        case
            when fines.is_fine_void then 'not_owed'
            when fines.service_date is null then 'not_served'
            when fines.review_outcome in {{ codes('review_outcome', ['维持', '变更']) }} then 'not_computed'
            else 'computed'
        end as late_fee_status,
        case
            when fines.due_date is null then 0
            else greatest({{ days_between('fines.due_date', 'coalesce(fines.payment_date, ' ~ as_of_date() ~ ')') }}, 0)
        end as days_late
    from fines
),

fees as (
    select
        judged.*,
        case
            when late_fee_status in ('not_owed', 'not_served') then cast(0 as decimal(18, 2))
            when late_fee_status = 'computed'
                then cast(least(fine_yuan * {{ var('late_fee_rate_per_day') }} * days_late, fine_yuan) as decimal(18, 2))
        end as late_fee_yuan,
        case late_fee_status
            when 'not_owed' then '处罚决定已撤销或被确认违法，罚款及加处罚款不再缴纳'
            when 'not_served' then '处罚决定尚未送达，缴款期限未起算，不计加处罚款（行政处罚法第六十七条）'
            when 'not_computed' then '已经行政复议或行政诉讼，复议、诉讼期间不计加处罚款（行政处罚法第七十三条），起止日期未报送，未计算加处罚款'
        end as late_fee_note
    from judged
)

select
    cast(case_id as varchar(200)) as case_id,
    cast(entity_id as varchar(18)) as entity_id,
    cast(decision_date as date) as decision_date,
    cast(service_date as date) as service_date,
    cast(due_date as date) as due_date,
    cast(is_due_date_provisional as boolean) as is_due_date_provisional,
    cast(payment_date as date) as payment_date,
    cast(fine_yuan as decimal(18, 2)) as fine_yuan,
    cast(paid_yuan as decimal(18, 2)) as paid_yuan,
    cast(days_late as integer) as days_late,
    cast(late_fee_status as varchar(20)) as late_fee_status,
    cast(late_fee_yuan as decimal(18, 2)) as late_fee_yuan,
    cast(late_fee_note as varchar(200)) as late_fee_note,
    -- what is still owed: nothing on a void decision; the fine and a computed late fee, less what was paid
    -- (where the fee is not computed, the fine alone)
    cast(case
        when late_fee_status = 'not_owed' then 0
        else greatest(fine_yuan + coalesce(late_fee_yuan, 0) - paid_yuan, 0)
    end as decimal(18, 2)) as outstanding_yuan,
    cast(paid_yuan >= fine_yuan as boolean) as is_fine_paid
from fees
