-- §6 indicators per 县（区）× month (bodies of 东莞/中山 townships and of cities have no county).
{{ indicator_rollup(['city_code', 'county_code']) }}
