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
