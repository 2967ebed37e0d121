{#- Engine differences live here only; models call these and stay portable (DuckDB, PostgreSQL). -#}

{% macro days_between(start_date, end_date) -%}
  {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro add_days(date_expression, days) -%}
  cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{% macro month_of(date_expression) -%}
  cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{% macro as_of_date() -%}
  cast('{{ var("as_of") }}' as date)
{%- endmacro %}

{#- Lists travel `;`-joined (quality/lake.py). -#}
{% macro list_contains(list_column, item) -%}
  (';' || coalesce({{ list_column }}, '') || ';' like '%;' || {{ item }} || ';%')
{%- endmacro %}

{#- A list's items, one row each (as a FROM item: `cross join {{ list_items('t.col') }} as items(item)`). -#}
{% macro list_items(list_column) -%}
  unnest(string_to_array(nullif({{ list_column }}, ''), ';'))
{%- endmacro %}

{% macro list_length(list_column) -%}
  case when {{ list_column }} is null or {{ list_column }} = '' then 0
       else length({{ list_column }}) - length(replace({{ list_column }}, ';', '')) + 1 end
{%- endmacro %}

{% macro safe_ratio(numerator, denominator) -%}
  case when {{ denominator }} > 0 then cast({{ numerator }} as double precision) / {{ denominator }} end
{%- endmacro %}

{% macro text_timestamp(column) -%}
  cast(replace(substr({{ column }}, 1, 19), 'T', ' ') as timestamp)
{%- endmacro %}

{% macro regex_matches(column, pattern) -%}
  {{ return(adapter.dispatch('regex_matches', 'zfjd')(column, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(column, pattern) -%}
  regexp_matches({{ column }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regex_matches(column, pattern) -%}
  ({{ column }} ~ '{{ pattern }}')
{%- endmacro %}
