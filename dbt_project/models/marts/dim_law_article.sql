-- 法律法规条款: every article of the 法律法规库, with its law, and the 事项 whose 设定依据 cite it.
with citations as (
    select
        trim(split_part(basis_items.item, ':', 1)) || ':' || trim(split_part(basis_items.item, ':', 2))
            as law_article_id,
        matters.matter_code
    from {{ ref('stg_lake__matters') }} as matters
    cross join {{ list_items('matters.legal_basis') }} as basis_items(item)
),

cited as (
    select law_article_id, count(distinct matter_code) as citing_matter_count
    from citations
    group by law_article_id
)

select
    articles.law_article_id,
    articles.law_id,
    articles.article_number,
    articles.article_text,
    laws.law_title,
    laws.law_level,
    laws.is_in_force,
    coalesce(cited.citing_matter_count, 0) as citing_matter_count,
    articles.updated_at
from {{ ref('stg_lake__law_articles') }} as articles
left join {{ ref('dim_law') }} as laws on laws.law_id = articles.law_id
left join cited on cited.law_article_id = articles.law_article_id
