-- §6 indicators per 执法领域 × year (the yearly template); stocks at the year's end, rates recomputed from sums.
{{ indicator_rollup(['enforcement_domain'], grain='year') }}
