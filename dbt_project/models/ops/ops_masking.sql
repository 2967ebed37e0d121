-- 脱敏计数: for this build, per analyst-facing model × free-text column × kind of personal data (身份证号,
-- 手机号码, 自然人姓名), how many values held it and were masked. The list of columns and the masking are
-- those the models use (macros/masking.sql), recomputed from the same staged rows.
with counts as (
    {{ masking_counts() }}
)

select
    model_name || '|' || column_name || '|' || data_kind as masking_id,
    cast(model_name as varchar(100)) as model_name,
    cast(column_name as varchar(100)) as column_name,
    cast(data_kind as varchar(20)) as data_kind,
    values_masked,
    values_scanned,
    {{ as_of_date() }} as built_as_of
from counts
