{{ config(materialized='incremental', unique_key='sample_id', on_schema_change='fail') }}
-- 随机抽查 (standard.md §7): each month's draw of closed cases for 案卷评查. Reproducible: the order
-- inside a stratum is md5(seed | case), and the seed is stored with the draw. Stratified by 地级市 ×
-- 执法领域, each stratum at least var('review_min_per_stratum') cases, else var('review_rate') of it.
-- A case is never drawn twice: earlier draws are kept (incremental) and excluded; drawing a month
-- that is already drawn adds nothing, so re-running is safe.
{% set month = var('review_month') %}

with closed as (
    select case_id, entity_id, city_code, enforcement_domain, closing_date
    from {{ ref('fct_penalty_case') }}
    where closing_date is not null and not is_withdrawn
    {% if month %}
        and closing_date < cast({{ dbt.dateadd('month', 1, "cast('" ~ month ~ "-01' as date)") }} as date)
    {% else %}
        and false
    {% endif %}
    {% if is_incremental() %}
        and case_id not in (select case_id from {{ this }})
        and not exists (select 1 from {{ this }} where draw_month = '{{ month }}')
    {% endif %}
),

ordered as (
    select
        closed.*,
        count(*) over (partition by city_code, enforcement_domain) as stratum_size,
        row_number() over (
            partition by city_code, enforcement_domain
            order by md5('{{ var("review_seed") }}|' || case_id), case_id
        ) as stratum_rank
    from closed
)

select
    '{{ month }}' || '|' || case_id as sample_id,
    cast('{{ month }}' as varchar(7)) as draw_month,
    cast({{ var('review_seed') }} as bigint) as draw_seed,
    case_id,
    entity_id,
    city_code,
    enforcement_domain,
    closing_date,
    stratum_size,
    stratum_rank
from ordered
where stratum_rank <= greatest({{ var('review_min_per_stratum') }}, ceil(stratum_size * {{ var('review_rate') }}))
