with latest as (
    {{ latest_versions(source('lake', 'review_result'), ['PCPC', 'ZTDM', 'AJBH']) }}
)

select
    "PCPC" || '|' || "ZTDM" || '|' || "AJBH" as review_id,
    "PCPC" as review_batch,
    "ZTDM" || '|' || "AJBH" as case_id,
    "ZTDM" as entity_id,
    "FJX" as veto_items,
    cast("XSDF" as decimal(6, 2)) as presentation_score,
    cast("NRDF" as decimal(6, 2)) as content_score,
    "PCDJ" as review_grade,
    "PCRQ" as review_date,
    "GXSJ" as updated_at,
    batch_id
from latest
