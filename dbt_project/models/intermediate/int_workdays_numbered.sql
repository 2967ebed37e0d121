-- Every calendar day with the number of working days up to and including it (调休 included), so
-- "the 7th working day after D" is one equality join: the workday numbered number(D) + 7; the first
-- working day on or after it (顺延 of a period whose last day is a rest day); and how many days of a
-- year whose holidays are not announced yet (is_guessed) lie before and up to it, so a deadline that
-- ran through such a day is known to be provisional by one subtraction.
{#- The rule macros look a day up here once per record and working-day count (quality/rule_sql.py):
    PostgreSQL runs such a lookup per row, so it gets the indexes; DuckDB turns it into a hash join. -#}
{%- if target.type == 'postgres' -%}
{{ config(indexes=[{'columns': ['calendar_date'], 'unique': true}, {'columns': ['workday_number']}]) }}
{%- endif %}
select
    calendar_date,
    is_workday,
    is_guessed,
    sum(case when is_workday then 1 else 0 end) over (order by calendar_date rows unbounded preceding) as workday_number,
    -- a running minimum from the far end (a frame that starts unbounded is computed in one pass; "current
    -- row and unbounded following" made PostgreSQL rescan the rest of the calendar for every day)
    min(case when is_workday then calendar_date end) over (
        order by calendar_date desc rows between unbounded preceding and current row
    ) as next_workday,
    sum(case when is_guessed then 1 else 0 end) over (order by calendar_date rows unbounded preceding) as guessed_through,
    sum(case when is_guessed then 1 else 0 end) over (order by calendar_date rows unbounded preceding)
        - case when is_guessed then 1 else 0 end as guessed_before
from {{ ref('workday') }}
