{#- Personal data leaves the restricted schemas only masked (standard.md §8): a 证件号码 keeps its first
    six and last four characters (440106********1234), a natural person's name its first character. -#}
{% macro mask_id_number(column) -%}
  case
    when {{ column }} is null then null
    when length({{ column }}) > 10
      then substr({{ column }}, 1, 6) || repeat('*', length({{ column }}) - 10) || substr({{ column }}, length({{ column }}) - 3, 4)
    else repeat('*', length({{ column }}))
  end
{%- endmacro %}

{% macro mask_person_name(column) -%}
  case
    when {{ column }} is null then null
    else substr({{ column }}, 1, 1) || repeat('*', greatest(length({{ column }}) - 1, 1))
  end
{%- endmacro %}
