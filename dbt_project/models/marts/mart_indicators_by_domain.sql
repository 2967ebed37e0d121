-- §6 indicators per 执法领域 × month.
{{ indicator_rollup(['enforcement_domain']) }}
