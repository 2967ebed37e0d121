-- 行政区划 (GB/T 2260, the standard's Guangdong list): every division with its city and county,
-- placed once in the intermediate layer (the 执法主体's versions are placed by the same rows).
select * from {{ ref('int_regions_placed') }}
