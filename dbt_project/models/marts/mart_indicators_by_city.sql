-- §6 indicators per 地级市 × month (the 通报's ranking); rates recomputed from summed counts.
{{ indicator_rollup(['city_code']) }}
