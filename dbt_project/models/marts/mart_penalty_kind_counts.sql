-- 处罚 counted by kind: each decided case once, under its heaviest kind (行政处罚法 Art 9 order).
select
    entity_id,
    decision_month as month_start,
    heaviest_penalty_kind as penalty_kind,
    count(*) as penalty_case_count,
    sum(forfeiture_amount_wan) as forfeiture_amount_wan
from {{ ref('fct_penalty_case') }}
where is_decided
group by entity_id, decision_month, heaviest_penalty_kind
