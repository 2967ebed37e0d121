-- §6 indicators for the whole province × year; stocks at the year's end, rates recomputed from sums.
{{ indicator_rollup([], grain='year') }}
