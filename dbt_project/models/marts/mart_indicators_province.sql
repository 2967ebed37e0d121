-- §6 indicators for the whole province × month.
{{ indicator_rollup([]) }}
