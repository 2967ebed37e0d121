-- Each 事项 version's 设定依据 (`法规编号:条款号`, `;`-separated) resolved against the 法律法规库: an item
-- is unknown when the library does not list the article; not in force when its law takes effect after
-- the 事项 does, or is no longer in force (失效日期: the first day it is not) on the day the 事项 is
-- judged — var('as_of'), or the 事项's own 失效日期 when that comes first. The same as quality/reference.py
-- `_join_legal_basis` (tests/quality/test_matter_basis_engines_agree.py); a malformed item is a
-- rejection at validation (matter.legal_basis_format) and is not judged here.
with matters as (
    select
        matter_version_id,
        matter_code,
        effective_date,
        case when expiry_date < {{ as_of_date() }} then expiry_date else {{ as_of_date() }} end as judged_on,
        legal_basis
    from {{ ref('stg_lake__matters') }}
),

items as (
    select
        matters.matter_version_id,
        matters.effective_date,
        matters.judged_on,
        trim(split_part(basis_items.item, ':', 1)) as law_id,
        trim(split_part(basis_items.item, ':', 2)) as article_number
    from matters
    cross join {{ list_items('matters.legal_basis') }} as basis_items(item)
    where basis_items.item like '%_:_%' and basis_items.item not like '%:%:%'
),

resolved as (
    select
        items.matter_version_id,
        items.law_id,
        items.article_number,
        articles.law_article_id is not null as is_listed,
        articles.law_article_id is not null
            and coalesce(laws.effective_date > items.effective_date or laws.expiry_date <= items.judged_on, false)
            as is_not_in_force
    from items
    left join {{ ref('stg_lake__law_articles') }} as articles
        on articles.law_id = items.law_id and articles.article_number = items.article_number
    left join {{ ref('stg_lake__laws') }} as laws
        on laws.law_id = items.law_id
)

select
    matters.matter_version_id,
    matters.matter_code,
    count(resolved.law_id) as basis_item_count,
    coalesce(sum(case when resolved.is_listed then 1 else 0 end), 0) as resolved_item_count,
    coalesce(max(case when not resolved.is_listed then 1 else 0 end), 0) = 1 as has_unknown_basis,
    coalesce(max(case when resolved.is_not_in_force then 1 else 0 end), 0) = 1 as has_basis_not_in_force
from matters
left join resolved on resolved.matter_version_id = matters.matter_version_id
group by matters.matter_version_id, matters.matter_code
