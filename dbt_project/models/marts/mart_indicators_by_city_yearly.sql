-- §6 indicators per 地级市 × year (the yearly template); stocks at the year's end, rates recomputed from sums.
{{ indicator_rollup(['city_code'], grain='year') }}
