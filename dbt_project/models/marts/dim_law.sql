-- 法律法规库: the laws the 事项 cite (as reported in the province's extract), in force or not on
-- var('as_of') (施行日期 on or before it, and no 失效日期 on or before it).
with articles as (
    select law_id, count(*) as article_count
    from {{ ref('stg_lake__law_articles') }}
    group by law_id
)

select
    laws.law_id,
    laws.law_title,
    laws.law_level,
    laws.enacting_body,
    laws.effective_date,
    laws.expiry_date,
    coalesce(laws.effective_date <= {{ as_of_date() }}
             and (laws.expiry_date is null or laws.expiry_date > {{ as_of_date() }}), false) as is_in_force,
    coalesce(articles.article_count, 0) as article_count,
    laws.updated_at
from {{ ref('stg_lake__laws') }} as laws
left join articles on articles.law_id = laws.law_id
