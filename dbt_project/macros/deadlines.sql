{#- How days are counted (standard.md §4), once for every deadline the warehouse computes.

    A period of N days ends on day N after the event (the event's day is not counted).
    - 'working': the Nth working day after it (调休 counted; 行政处罚法 Art 85, 行政强制法 Art 69).
    - 'calendar': day N, moved to the next working day when it is a rest day (顺延, project-defined).
    A deadline is provisional when a day it depends on lies in a year whose holidays are not announced
    (the workday seed's is_guessed): for working days every day after the event up to the deadline, for
    calendar days the days from day N to the deadline it was moved to.

    Use: `from cases {{ deadline_joins('pub', 'cases.decision_date', 7, 'working') }}`, then
    `{{ deadline_date('pub') }}` and `{{ deadline_is_provisional('pub', 'working') }}`. -#}
{% macro deadline_joins(alias, start_date, days, counting) -%}
  {%- if counting not in ('working', 'calendar') -%}
    {{ exceptions.raise_compiler_error('deadline_joins: counting must be working or calendar, not ' ~ counting) }}
  {%- endif %}
  left join {{ ref('int_workdays_numbered') }} as {{ alias }}_start
    on {{ alias }}_start.calendar_date = {{ start_date }}
  {%- if counting == 'working' %}
  left join {{ ref('int_workdays_numbered') }} as {{ alias }}_end
    on {{ alias }}_end.is_workday
    and {{ alias }}_end.workday_number = {{ alias }}_start.workday_number + {{ days }}
  {%- else %}
  left join {{ ref('int_workdays_numbered') }} as {{ alias }}_raw
    on {{ alias }}_raw.calendar_date = {{ add_days(alias ~ '_start.calendar_date', days) }}
  left join {{ ref('int_workdays_numbered') }} as {{ alias }}_end
    on {{ alias }}_end.calendar_date = {{ alias }}_raw.next_workday
  {%- endif %}
{%- endmacro %}

{% macro deadline_date(alias) -%}
  {{ alias }}_end.calendar_date
{%- endmacro %}

{% macro deadline_is_provisional(alias, counting) -%}
  {%- if counting == 'working' -%}
  coalesce({{ alias }}_end.guessed_through - {{ alias }}_start.guessed_through > 0, false)
  {%- else -%}
  coalesce({{ alias }}_end.guessed_through - {{ alias }}_raw.guessed_before > 0, false)
  {%- endif -%}
{%- endmacro %}
