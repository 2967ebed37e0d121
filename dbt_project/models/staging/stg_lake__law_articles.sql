with latest as (
    {{ latest_versions(source('lake', 'law_article'), ['FGBH', 'TKH']) }}
)

select
    "FGBH" || ':' || "TKH" as law_article_id,
    "FGBH" as law_id,
    "TKH" as article_number,
    "TKNR" as article_text,
    "GXSJ" as updated_at
from latest
