-- One row per 处罚类别 of a case, with its weight (行政处罚法 Art 9 order, light → heavy).
select
    cases.case_id,
    kinds.code as penalty_kind,
    kinds.sort_order as kind_weight
from {{ ref('stg_lake__penalty_cases') }} as cases
inner join {{ ref('code_list') }} as kinds
    on kinds.codelist_id = 'penalty_kind'
    and {{ list_contains('cases.penalty_kinds', 'kinds.code') }}
