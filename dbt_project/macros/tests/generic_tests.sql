{#- Generic data tests this project needs beyond dbt's four (no package download needed offline). -#}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}

{% test is_rate(model, column_name) %}
select * from {{ model }} where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}

{#- A table's counts never negative and its rates within [0, 1], in one test: the indicator marts have
    ~30 such columns each, and a test per column cost dbt ~35 ms of its own per test (316 of them, a third
    of the daily build's time). One row per failing value, naming the column and the check it fails. -#}
{% test counts_and_rates_in_range(model, counts=[], rates=[]) %}
{%- set checks = [] -%}
{%- for column in counts -%}{%- do checks.append((column, column ~ ' >= 0', column ~ ' < 0')) -%}{%- endfor -%}
{%- for column in rates -%}
  {%- do checks.append((column, column ~ ' between 0 and 1', column ~ ' < 0 or ' ~ column ~ ' > 1')) -%}
{%- endfor %}
{%- if not checks %}{{ exceptions.raise_compiler_error('counts_and_rates_in_range: no column given') }}{% endif %}
{%- for column, check, violated in checks %}
select '{{ check }}' as failed_check, cast({{ column }} as double precision) as value from {{ model }} where {{ violated }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}

{#- No value in the column looks like an unmasked 居民身份证号: 6 digits, a birth date 19xx/20xx, 3 digits
    and a check character, anywhere in the text. (An 18-character 统一社会信用代码 has letters or no date.) -#}
{% test no_unmasked_id_number(model, column_name) %}
select {{ column_name }} from {{ model }}
where {{ column_name }} is not null
  and {{ regex_matches(column_name, '[0-9]{6}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]') }}
{% endtest %}

{#- Nothing left in the text that looks like an unmasked 身份证号 (18 or old 15 characters) or mobile number
    (the shapes mask_free_text masks): what a leak through a new column or a changed model would look like. -#}
{% test no_unmasked_personal_text(model, column_name) %}
select {{ column_name }} from {{ model }}
where {{ column_name }} is not null
  and (
    {{ regex_matches(column_name, '(^|[^0-9])[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]([^0-9]|$)') }}
    or {{ regex_matches(column_name, '(^|[^0-9])[1-9][0-9]{5}[0-9]{2}(0[1-9]|1[0-2])[0-3][0-9]{4}([^0-9]|$)') }}
    or {{ regex_matches(column_name, '(^|[^0-9])1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}([^0-9]|$)') }}
  )
{% endtest %}
