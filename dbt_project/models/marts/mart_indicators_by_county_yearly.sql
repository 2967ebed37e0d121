-- §6 indicators per 县（区）× year (the yearly template); stocks at the year's end, rates recomputed from sums.
{{ indicator_rollup(['city_code', 'county_code'], grain='year') }}
