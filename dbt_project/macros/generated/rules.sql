{#- Generated from standards/spec/rule_checks.yaml and codelists.yaml by zfjd/dbt_artifacts.py: do not edit.
    How a model calls a rule: dbt_project/README.md. -#}

{#- True where the record breaks the rule (never null). `relation`: the alias whose columns are named by
    field code; `columns`: {field code: SQL} for columns named otherwise; `field`: one field of a rule
    checked per field (default: any); `as_of`: the checking day (default as_of_date()); `calendar`: the
    workday relation (default ref('workday')). -#}
{% macro rule_violation(rule_id, relation=none, columns={}, field=none, as_of=none, calendar=none) -%}
  {{- _zfjd_rule_sql(rule_id, 0, relation, columns, field, as_of, calendar) -}}
{%- endmacro %}

{#- True where the rule's answer counted working days through a year whose holidays are not announced
    (is_guessed in the workday seed): the finding is provisional. -#}
{% macro rule_provisional(rule_id, relation=none, columns={}, field=none, as_of=none, calendar=none) -%}
  {{- _zfjd_rule_sql(rule_id, 1, relation, columns, field, as_of, calendar) -}}
{%- endmacro %}

{% macro _zfjd_rule_sql(rule_id, part, relation, columns, field, as_of, calendar) -%}
  {%- set checks = {
      "coercion.expiry_before_start": {"fields": ["JMRQ", "QSRQ"], "parts": {"": ["coalesce((⟪JMRQ⟫ < ⟪QSRQ⟫), false)", "false"]}},
      "coercion.expiry_date_required": {"fields": ["JMRQ", "QZFS"], "parts": {"": ["coalesce(((⟪QZFS⟫ in ('查封场所设施或者财物', '扣押财物', '冻结存款汇款')) and (⟪JMRQ⟫ is null)), false)", "false"]}},
      "coercion.extension_before_expiry": {"fields": ["JMRQ", "YCZ"], "parts": {"": ["coalesce((⟪YCZ⟫ < ⟪JMRQ⟫), false)", "false"]}},
      "coercion.extension_date_required": {"fields": ["SFYC", "YCZ"], "parts": {"": ["coalesce(((⟪SFYC⟫ = 'Y') and (⟪YCZ⟫ is null)), false)", "false"]}},
      "coercion.method_type_mismatch": {"fields": ["QZFS", "QZLX"], "parts": {"": ["coalesce(((case ⟪QZFS⟫ when '限制公民人身自由' then '1' when '查封场所设施或者财物' then '1' when '扣押财物' then '1' when '冻结存款汇款' then '1' when '其他强制措施' then '1' when '加处罚款或者滞纳金' then '2' when '划拨存款汇款' then '2' when '拍卖或者依法处理查封扣押的场所设施或者财物' then '2' when '排除妨碍恢复原状' then '2' when '代履行' then '2' when '其他强制执行' then '2' end) <> ⟪QZLX⟫), false)", "false"]}},
      "coercion.release_before_start": {"fields": ["JCRQ", "QSRQ"], "parts": {"": ["coalesce((⟪JCRQ⟫ < ⟪QSRQ⟫), false)", "false"]}},
      "coercion.start_before_decision": {"fields": ["JDRQ", "QSRQ"], "parts": {"": ["coalesce((⟪QSRQ⟫ < ⟪JDRQ⟫), false)", "false"]}},
      "coercion.start_date_required": {"fields": ["QSRQ", "QZFS"], "parts": {"": ["coalesce(((⟪QZFS⟫ in ('查封场所设施或者财物', '扣押财物', '冻结存款汇款')) and (⟪QSRQ⟫ is null)), false)", "false"]}},
      "counterparty.credit_code_required": {"fields": ["CF_XDR_LB", "CF_XDR_SHXYM"], "parts": {"": ["coalesce(((⟪CF_XDR_LB⟫ in ('法人及非法人组织', '个体工商户')) and (⟪CF_XDR_SHXYM⟫ is null)), false)", "false"]}},
      "counterparty.id_document_required": {"fields": ["CF_XDR_LB", "CF_XDR_ZJHM", "CF_XDR_ZJLX"], "parts": {"CF_XDR_ZJLX": ["coalesce(((⟪CF_XDR_LB⟫ = '自然人') and (⟪CF_XDR_ZJLX⟫ is null)), false)", "false"], "CF_XDR_ZJHM": ["coalesce(((⟪CF_XDR_LB⟫ = '自然人') and (⟪CF_XDR_ZJHM⟫ is null)), false)", "false"]}},
      "counterparty.legal_representative_required": {"fields": ["CF_FRDB", "CF_XDR_LB"], "parts": {"": ["coalesce(((⟪CF_XDR_LB⟫ = '法人及非法人组织') and (⟪CF_FRDB⟫ is null)), false)", "false"]}},
      "counterparty.placeholder_only_for_sole_trader": {"fields": ["CF_XDR_LB", "CF_XDR_SHXYM"], "parts": {"": ["coalesce(((⟪CF_XDR_SHXYM⟫ = '00000000000000000X') and (⟪CF_XDR_LB⟫ <> '个体工商户')), false)", "false"]}},
      "counterparty.registration_number_required": {"fields": ["CF_XDR_GSZC", "CF_XDR_SHXYM"], "parts": {"": ["coalesce(((⟪CF_XDR_SHXYM⟫ = '00000000000000000X') and (⟪CF_XDR_GSZC⟫ is null)), false)", "false"]}},
      "entity.end_before_start": {"fields": ["SHXRQ", "SXRQ"], "parts": {"": ["coalesce((⟪SHXRQ⟫ < ⟪SXRQ⟫), false)", "false"]}},
      "finding.late_service": {"fields": ["CF_JDRQ", "SDRQ"], "parts": {"": ["coalesce((⟪SDRQ⟫ > coalesce((case when ⟪CF_JDRQ⟫ >= (select min(calendar_date) from ⟪calendar⟫) then (select days.calendar_date from ⟪calendar⟫ as days where days.is_workday and days.calendar_date > ⟪CF_JDRQ⟫ order by days.calendar_date limit 1 offset 6) end), (⟪CF_JDRQ⟫ - greatest((cast(extract(isodow from ⟪CF_JDRQ⟫) as integer) - 1) - 4, 0) + 9 + case when (cast(extract(isodow from ⟪CF_JDRQ⟫) as integer) - 1) - greatest((cast(extract(isodow from ⟪CF_JDRQ⟫) as integer) - 1) - 4, 0) + 2 > 4 then 2 else 0 end))), false)", "coalesce((case when ⟪CF_JDRQ⟫ is null then null when (case when ⟪CF_JDRQ⟫ >= (select min(calendar_date) from ⟪calendar⟫) then (select days.calendar_date from ⟪calendar⟫ as days where days.is_workday and days.calendar_date > ⟪CF_JDRQ⟫ order by days.calendar_date limit 1 offset 6) end) is null then true else exists (select 1 from ⟪calendar⟫ as counted where counted.is_guessed and counted.calendar_date > ⟪CF_JDRQ⟫ and counted.calendar_date <= (case when ⟪CF_JDRQ⟫ >= (select min(calendar_date) from ⟪calendar⟫) then (select days.calendar_date from ⟪calendar⟫ as days where days.is_workday and days.calendar_date > ⟪CF_JDRQ⟫ order by days.calendar_date limit 1 offset 6) end)) end), false)"]}},
      "finding.missing_legal_review": {"fields": ["CF_JDRQ", "FZSHRQ", "SFTZ", "SFZD"], "parts": {"": ["coalesce((((⟪SFZD⟫ = 'Y') or (⟪SFTZ⟫ = 'Y')) and (⟪CF_JDRQ⟫ is not null) and ((⟪FZSHRQ⟫ is null) or (⟪FZSHRQ⟫ > ⟪CF_JDRQ⟫))), false)", "false"]}},
      "finding.summary_procedure_exceeded": {"fields": ["CF_CFLB", "CF_NR_FK", "CF_XDR_LB", "CXLX"], "parts": {"": ["coalesce(((⟪CXLX⟫ = '1') and ((round(cast(⟪CF_NR_FK⟫ as decimal(38, 10)) * 10000, 2) > (case when (⟪CF_XDR_LB⟫ in ('自然人', '个体工商户')) then 200 else 3000 end)) or (not (case when ⟪CF_CFLB⟫ is null then null else not exists (select 1 from unnest(string_to_array(nullif(⟪CF_CFLB⟫, ''), ';')) as list_items(item) where list_items.item not in ('警告', '罚款')) end)))), false)", "false"]}},
      "finding.time_barred": {"fields": ["LARQ", "WFRQ", "WFZLRQ", "WHHG"], "parts": {"": ["coalesce((⟪LARQ⟫ > coalesce((case when (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) >= (select min(calendar_date) from ⟪calendar⟫) then (select days.calendar_date from ⟪calendar⟫ as days where days.is_workday and days.calendar_date > (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) order by days.calendar_date limit 1 offset 0) end), ((cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) - greatest((cast(extract(isodow from (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1)) as integer) - 1) - 4, 0) + 1 + case when (cast(extract(isodow from (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1)) as integer) - 1) - greatest((cast(extract(isodow from (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1)) as integer) - 1) - 4, 0) + 1 > 4 then 2 else 0 end))), false)", "coalesce((case when (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) is null then null when (case when (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) >= (select min(calendar_date) from ⟪calendar⟫) then (select days.calendar_date from ⟪calendar⟫ as days where days.is_workday and days.calendar_date > (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) order by days.calendar_date limit 1 offset 0) end) is null then true else exists (select 1 from ⟪calendar⟫ as counted where counted.is_guessed and counted.calendar_date > (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) and counted.calendar_date <= (case when (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) >= (select min(calendar_date) from ⟪calendar⟫) then (select days.calendar_date from ⟪calendar⟫ as days where days.is_workday and days.calendar_date > (cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) - 1) order by days.calendar_date limit 1 offset 0) end)) end), false)"]}},
      "finding.too_few_inspectors": {"fields": ["JCRY"], "parts": {"": ["coalesce(((case when ⟪JCRY⟫ is null then null else (select count(distinct list_items.item) from unnest(string_to_array(nullif(⟪JCRY⟫, ''), ';')) as list_items(item)) end) < 2), false)", "false"]}},
      "finding.too_few_officers": {"fields": ["CBRY"], "parts": {"": ["coalesce(((case when ⟪CBRY⟫ is null then null else (select count(distinct list_items.item) from unnest(string_to_array(nullif(⟪CBRY⟫, ''), ';')) as list_items(item)) end) < 2), false)", "false"]}},
      "finding.too_few_officers_coercion": {"fields": ["CBRY"], "parts": {"": ["coalesce(((case when ⟪CBRY⟫ is null then null else (select count(distinct list_items.item) from unnest(string_to_array(nullif(⟪CBRY⟫, ''), ';')) as list_items(item)) end) < 2), false)", "false"]}},
      "inspection.linked_case_required": {"fields": ["GLAJBH", "JCJG"], "parts": {"": ["coalesce(((⟪JCJG⟫ = '3') and (⟪GLAJBH⟫ is null)), false)", "false"]}},
      "matter.fine_range_inverted": {"fields": ["FKSX", "FKXX"], "parts": {"": ["coalesce((⟪FKSX⟫ < ⟪FKXX⟫), false)", "false"]}},
      "officer.card_end_before_start": {"fields": ["YXQQ", "YXQZ"], "parts": {"": ["coalesce((⟪YXQZ⟫ < ⟪YXQQ⟫), false)", "false"]}},
      "penalty.act_after_decision": {"fields": ["CF_JDRQ", "WFRQ"], "parts": {"": ["coalesce((⟪CF_JDRQ⟫ < ⟪WFRQ⟫), false)", "false"]}},
      "penalty.act_after_filing": {"fields": ["LARQ", "WFRQ"], "parts": {"": ["coalesce((⟪LARQ⟫ < ⟪WFRQ⟫), false)", "false"]}},
      "penalty.act_end_before_start": {"fields": ["WFRQ", "WFZLRQ"], "parts": {"": ["coalesce((⟪WFZLRQ⟫ < ⟪WFRQ⟫), false)", "false"]}},
      "penalty.authority_code_mismatch": {"fields": ["CF_CFJGDM", "ZTDM"], "parts": {"": ["coalesce((⟪CF_CFJGDM⟫ <> ⟪ZTDM⟫), false)", "false"]}},
      "penalty.closing_before_other_dates": {"fields": ["CF_JDRQ", "FZSHRQ", "JARQ", "JKRQ", "LARQ", "SDRQ"], "parts": {"": ["coalesce((⟪JARQ⟫ < greatest(⟪LARQ⟫, ⟪CF_JDRQ⟫, ⟪FZSHRQ⟫, ⟪SDRQ⟫, ⟪JKRQ⟫)), false)", "false"]}},
      "penalty.closing_date_required": {"fields": ["AJZT", "JARQ"], "parts": {"": ["coalesce(((⟪AJZT⟫ = '6') and (⟪JARQ⟫ is null)), false)", "false"]}},
      "penalty.confiscation_amount_missing": {"fields": ["CF_CFLB", "CF_NR_WFFF"], "parts": {"": ["coalesce(((position(';没收违法所得;' in ';' || ⟪CF_CFLB⟫ || ';') > 0 or position(';没收非法财物;' in ';' || ⟪CF_CFLB⟫ || ';') > 0) and ((⟪CF_NR_WFFF⟫ is null) or (⟪CF_NR_WFFF⟫ <= 0))), false)", "false"]}},
      "penalty.decision_before_filing": {"fields": ["CF_JDRQ", "LARQ"], "parts": {"": ["coalesce((⟪CF_JDRQ⟫ < ⟪LARQ⟫), false)", "false"]}},
      "penalty.decision_fields_required": {"fields": ["AJZT", "CF_CFLB", "CF_JDRQ", "CF_NR", "CF_WSH", "CF_YJ", "CF_YXQ"], "parts": {"CF_JDRQ": ["coalesce(((⟪AJZT⟫ in ('3', '4', '5', '6')) and (⟪CF_JDRQ⟫ is null)), false)", "false"], "CF_WSH": ["coalesce(((⟪AJZT⟫ in ('3', '4', '5', '6')) and (⟪CF_WSH⟫ is null)), false)", "false"], "CF_CFLB": ["coalesce(((⟪AJZT⟫ in ('3', '4', '5', '6')) and (⟪CF_CFLB⟫ is null)), false)", "false"], "CF_NR": ["coalesce(((⟪AJZT⟫ in ('3', '4', '5', '6')) and (⟪CF_NR⟫ is null)), false)", "false"], "CF_YJ": ["coalesce(((⟪AJZT⟫ in ('3', '4', '5', '6')) and (⟪CF_YJ⟫ is null)), false)", "false"], "CF_YXQ": ["coalesce(((⟪AJZT⟫ in ('3', '4', '5', '6')) and (⟪CF_YXQ⟫ is null)), false)", "false"]}},
      "penalty.filing_date_required": {"fields": ["CXLX", "LARQ"], "parts": {"": ["coalesce(((⟪CXLX⟫ = '2') and (⟪LARQ⟫ is null)), false)", "false"]}},
      "penalty.fine_amount_missing": {"fields": ["CF_CFLB", "CF_NR_FK"], "parts": {"": ["coalesce(((position(';罚款;' in ';' || ⟪CF_CFLB⟫ || ';') > 0) and ((⟪CF_NR_FK⟫ is null) or (⟪CF_NR_FK⟫ <= 0))), false)", "false"]}},
      "penalty.fine_amount_without_fine": {"fields": ["CF_CFLB", "CF_NR_FK"], "parts": {"": ["coalesce(((⟪CF_NR_FK⟫ > 0) and ((⟪CF_CFLB⟫ is null) or (not (position(';罚款;' in ';' || ⟪CF_CFLB⟫ || ';') > 0)))), false)", "false"]}},
      "penalty.license_missing": {"fields": ["CF_CFLB", "CF_NR_ZKDX"], "parts": {"": ["coalesce(((position(';暂扣许可证件;' in ';' || ⟪CF_CFLB⟫ || ';') > 0 or position(';吊销许可证件;' in ';' || ⟪CF_CFLB⟫ || ';') > 0) and (⟪CF_NR_ZKDX⟫ is null)), false)", "false"]}},
      "penalty.payment_before_decision": {"fields": ["CF_JDRQ", "JKRQ"], "parts": {"": ["coalesce((⟪JKRQ⟫ < ⟪CF_JDRQ⟫), false)", "false"]}},
      "penalty.publicity_before_decision": {"fields": ["CF_JDRQ", "GSRQ"], "parts": {"": ["coalesce((⟪GSRQ⟫ < ⟪CF_JDRQ⟫), false)", "false"]}},
      "penalty.publicity_end_before_decision": {"fields": ["CF_GSJZQ", "CF_JDRQ"], "parts": {"": ["coalesce((⟪CF_GSJZQ⟫ < ⟪CF_JDRQ⟫), false)", "false"]}},
      "penalty.review_result_before_decision": {"fields": ["CF_JDRQ", "FYSSRQ"], "parts": {"": ["coalesce((⟪FYSSRQ⟫ < ⟪CF_JDRQ⟫), false)", "false"]}},
      "penalty.review_result_date_required": {"fields": ["FYSS", "FYSSRQ"], "parts": {"": ["coalesce(((⟪FYSS⟫ in ('1', '2', '3', '4')) and (⟪FYSSRQ⟫ is null)), false)", "false"]}},
      "penalty.service_before_decision": {"fields": ["CF_JDRQ", "SDRQ"], "parts": {"": ["coalesce((⟪SDRQ⟫ < ⟪CF_JDRQ⟫), false)", "false"]}},
      "penalty.validity_before_decision": {"fields": ["CF_JDRQ", "CF_YXQ"], "parts": {"": ["coalesce((⟪CF_YXQ⟫ < ⟪CF_JDRQ⟫), false)", "false"]}},
      "penalty.withdrawal_before_publicity": {"fields": ["CHGSRQ", "GSRQ"], "parts": {"": ["coalesce((⟪CHGSRQ⟫ < ⟪GSRQ⟫), false)", "false"]}},
      "review.score_out_of_range": {"fields": ["NRDF", "XSDF"], "parts": {"XSDF": ["coalesce((⟪XSDF⟫ > 20), false)", "false"], "NRDF": ["coalesce((⟪NRDF⟫ > 80), false)", "false"]}},
      "review.veto_grade_mismatch": {"fields": ["FJX", "PCDJ"], "parts": {"": ["coalesce((((case when ⟪FJX⟫ is null then null when ⟪FJX⟫ = '' then 0 else length(⟪FJX⟫) - length(replace(⟪FJX⟫, ';', '')) + 1 end) > 0) and (⟪PCDJ⟫ <> '3')), false)", "false"]}}
  } -%}
  {%- if rule_id not in checks -%}
    {{ exceptions.raise_compiler_error("rule " ~ rule_id ~ " has no check in standards/spec/rule_checks.yaml") }}
  {%- endif -%}
  {%- set check = checks[rule_id] -%}
  {%- if field is not none and "" not in check["parts"] and field not in check["parts"] -%}
    {{ exceptions.raise_compiler_error("rule " ~ rule_id ~ " has no check for field " ~ field) }}
  {%- endif -%}
  {%- set ns = namespace(parts=[]) -%}
  {%- for code, pair in check["parts"].items() -%}
    {%- if field is none or code == "" or code == field -%}
      {%- set ns.parts = ns.parts + [pair[part]] -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set ns.sql = ns.parts[0] if ns.parts | length == 1 else "(" ~ ns.parts | join(" or ") ~ ")" -%}
  {%- for code in check["fields"] -%}
    {%- set named = ((relation ~ ".") if relation else "") ~ '"' ~ code ~ '"' -%}
    {%- set column = columns[code] if code in columns else named -%}
    {%- set ns.sql = ns.sql.replace("⟪" ~ code ~ "⟫", column) -%}
  {%- endfor -%}
  {%- if "⟪as_of⟫" in ns.sql -%}
    {%- set ns.sql = ns.sql.replace("⟪as_of⟫", as_of if as_of is not none else as_of_date()) -%}
  {%- endif -%}
  {%- if "⟪calendar⟫" in ns.sql -%}
    {%- set workdays = calendar if calendar is not none else ref("workday") | string -%}
    {%- set ns.sql = ns.sql.replace("⟪calendar⟫", workdays) -%}
  {%- endif -%}
  {{- ns.sql -}}
{%- endmacro %}

{#- A rule's message or hint about a field, worded as standards/messages.py words it for validation:
    {field} → 名称（代码）; the bare code when the field is not known; nothing when there is no field. -#}
{% macro rule_text(text, field_name, field_code) -%}
  replace({{ text }}, '{field}',
          coalesce({{ field_name }} || '（' || {{ field_code }} || '）', {{ field_code }}, ''))
{%- endmacro %}
