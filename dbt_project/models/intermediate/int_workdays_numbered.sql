-- Every calendar day with the number of working days up to and including it (调休 included), so
-- "the 7th working day after D" is one equality join: the workday numbered number(D) + 7.
select
    calendar_date,
    is_workday,
    is_guessed,
    sum(case when is_workday then 1 else 0 end) over (order by calendar_date rows unbounded preceding) as workday_number
from {{ ref('workday') }}
