-- 法律法规库: the laws cases cite (as reported in the 三库 extract).
select * from {{ ref('stg_lake__laws') }}
