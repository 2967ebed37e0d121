{#- Generated from standards/spec/rule_checks.yaml and codelists.yaml by zfjd/dbt_artifacts.py: do not edit.
    How a model calls a rule: dbt_project/README.md. -#}

{#- True where the record breaks the rule (never null). `relation`: the alias whose columns are named by
    field code; `columns`: {field code: SQL} for columns named otherwise; `field`: one field of a rule
    checked per field (default: any); `as_of`: the checking day (default as_of_date()); `calendar`: the
    numbered workday relation (default ref('int_workdays_numbered')). A check reading body(X), the 执法主体's
    field as of the decision, takes it from columns["body.X"]. A rule that counts working days
    (workdays_after, next_workday) reads the FROM items of rule_lookups, called with the same arguments. -#}
{% macro rule_violation(rule_id, relation=none, columns={}, field=none, as_of=none, calendar=none) -%}
  {{- _zfjd_rule_sql(rule_id, 0, relation, columns, field, as_of, calendar) -}}
{%- endmacro %}

{#- True where the rule's answer counted working days through a year whose holidays are not announced
    (is_guessed in the workday seed) on the way the answer took: the finding is provisional. -#}
{% macro rule_provisional(rule_id, relation=none, columns={}, field=none, as_of=none, calendar=none) -%}
  {{- _zfjd_rule_sql(rule_id, 1, relation, columns, field, as_of, calendar) -}}
{%- endmacro %}

{#- The calendar lookups of the rules named (a rule id or a list of them) as FROM items, each computed
    once per record and read by name by rule_violation / rule_provisional: `from cases
    {{ rule_lookups(['finding.late_publicity', …], columns=fields) }}`, after the relations the rules
    read and with the same relation, columns, as_of and calendar as the rules' calls. A lookup that rules
    share is added once; a rule that counts no working days adds none. -#}
{% macro rule_lookups(rule_ids, relation=none, columns={}, as_of=none, calendar=none) -%}
  {%- set lookups = {
      "coercion.expiry_before_start": {"fields": [], "lookups": []},
      "coercion.expiry_date_required": {"fields": [], "lookups": []},
      "coercion.extension_before_expiry": {"fields": [], "lookups": []},
      "coercion.extension_date_required": {"fields": [], "lookups": []},
      "coercion.method_type_mismatch": {"fields": [], "lookups": []},
      "coercion.release_before_start": {"fields": [], "lookups": []},
      "coercion.start_before_decision": {"fields": [], "lookups": []},
      "coercion.start_date_required": {"fields": [], "lookups": []},
      "counterparty.credit_code_required": {"fields": [], "lookups": []},
      "counterparty.id_document_required": {"fields": [], "lookups": []},
      "counterparty.legal_representative_required": {"fields": [], "lookups": []},
      "counterparty.placeholder_only_for_sole_trader": {"fields": [], "lookups": []},
      "counterparty.registration_number_required": {"fields": [], "lookups": []},
      "entity.end_before_start": {"fields": [], "lookups": []},
      "finding.case_open_too_long": {"fields": ["AJZT", "CF_JDRQ", "CXLX", "LARQ", "YCQXZ"], "lookups": [["rule_calendar_809cac4a7c14", "cross join lateral (select coalesce(lookup_start.next_workday, ((lookup_args.lookup_arg - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 + case when (cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_before > 0, true) end) as lookup_guessed from (select (⟪LARQ⟫ + 90) as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.calendar_date = lookup_start.next_workday) as rule_calendar_809cac4a7c14"]]},
      "finding.fine_collection_not_separated": {"fields": [], "lookups": []},
      "finding.late_police_filing_decision": {"fields": ["LAJGRQ", "YSRQ"], "lookups": [["rule_calendar_19198413e9be", "cross join lateral (select coalesce(lookup_start.next_workday, ((lookup_args.lookup_arg - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 + case when (cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_before > 0, true) end) as lookup_guessed from (select (⟪YSRQ⟫ + 3) as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.calendar_date = lookup_start.next_workday) as rule_calendar_19198413e9be"]]},
      "finding.late_publicity": {"fields": ["AJZT", "CF_CFLB", "CF_JDRQ", "FYSS", "FYSSRQ", "GSRQ", "GXSJ", "body.ZFLY"], "lookups": [["rule_calendar_52bd278aa2a6", "cross join lateral (select coalesce(lookup_end.calendar_date, (lookup_args.lookup_arg - greatest((cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - 4, 0) + 9 + case when (cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - greatest((cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - 4, 0) + 2 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_through > 0, true) end) as lookup_guessed from (select ⟪CF_JDRQ⟫ as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.workday_number = lookup_start.workday_number + 7 and lookup_end.is_workday) as rule_calendar_52bd278aa2a6"]]},
      "finding.late_service": {"fields": ["CF_JDRQ", "SDRQ"], "lookups": [["rule_calendar_52bd278aa2a6", "cross join lateral (select coalesce(lookup_end.calendar_date, (lookup_args.lookup_arg - greatest((cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - 4, 0) + 9 + case when (cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - greatest((cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - 4, 0) + 2 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_through > 0, true) end) as lookup_guessed from (select ⟪CF_JDRQ⟫ as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.workday_number = lookup_start.workday_number + 7 and lookup_end.is_workday) as rule_calendar_52bd278aa2a6"]]},
      "finding.late_withdrawal": {"fields": ["AJZT", "CHGSRQ", "FYSS", "FYSSRQ", "GSRQ", "GXSJ"], "lookups": [["rule_calendar_894f4a9b4e74", "cross join lateral (select coalesce(lookup_end.calendar_date, (lookup_args.lookup_arg - greatest((cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - 4, 0) + 3 + case when (cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - greatest((cast(extract(isodow from lookup_args.lookup_arg) as integer) - 1) - 4, 0) + 3 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_through > 0, true) end) as lookup_guessed from (select (case when (⟪FYSS⟫ in ('2', '3', '4')) then ⟪FYSSRQ⟫ else (case when (⟪AJZT⟫ = '9') then cast(⟪GXSJ⟫ as date) else null end) end) as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.workday_number = lookup_start.workday_number + 3 and lookup_end.is_workday) as rule_calendar_894f4a9b4e74"]]},
      "finding.missing_legal_review": {"fields": [], "lookups": []},
      "finding.overdue_handling": {"fields": ["CF_JDRQ", "CXLX", "LARQ", "YCQXZ"], "lookups": [["rule_calendar_809cac4a7c14", "cross join lateral (select coalesce(lookup_start.next_workday, ((lookup_args.lookup_arg - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 + case when (cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_before > 0, true) end) as lookup_guessed from (select (⟪LARQ⟫ + 90) as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.calendar_date = lookup_start.next_workday) as rule_calendar_809cac4a7c14"]]},
      "finding.seizure_overdue": {"fields": ["JCRQ", "JMRQ", "QSRQ", "QZFS", "SFYC", "YCZ"], "lookups": [["rule_calendar_e2063e8b82b5", "cross join lateral (select coalesce(lookup_start.next_workday, ((lookup_args.lookup_arg - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 + case when (cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_before > 0, true) end) as lookup_guessed from (select (⟪QSRQ⟫ + 30) as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.calendar_date = lookup_start.next_workday) as rule_calendar_e2063e8b82b5"], ["rule_calendar_b3225bcfdd3c", "cross join lateral (select coalesce(lookup_start.next_workday, ((lookup_args.lookup_arg - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 + case when (cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_before > 0, true) end) as lookup_guessed from (select (coalesce(⟪JMRQ⟫, rule_calendar_e2063e8b82b5.lookup_day) + 30) as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.calendar_date = lookup_start.next_workday) as rule_calendar_b3225bcfdd3c"]]},
      "finding.summary_procedure_exceeded": {"fields": [], "lookups": []},
      "finding.time_barred": {"fields": ["LARQ", "WFRQ", "WFZLRQ", "WHHG"], "lookups": [["rule_calendar_a31302fa43bd", "cross join lateral (select coalesce(lookup_start.next_workday, ((lookup_args.lookup_arg - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 + case when (cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - greatest((cast(extract(isodow from (lookup_args.lookup_arg - 1)) as integer) - 1) - 4, 0) + 1 > 4 then 2 else 0 end)) as lookup_day, (case when lookup_args.lookup_arg is null then null else coalesce(lookup_end.guessed_through - lookup_start.guessed_before > 0, true) end) as lookup_guessed from (select cast(coalesce(⟪WFZLRQ⟫, ⟪WFRQ⟫) + (case when (⟪WHHG⟫ = 'Y') then 5 else 2 end) * interval '1 year' as date) as lookup_arg) as lookup_args left join ⟪calendar⟫ as lookup_start on lookup_start.calendar_date = lookup_args.lookup_arg left join ⟪calendar⟫ as lookup_end on lookup_end.calendar_date = lookup_start.next_workday) as rule_calendar_a31302fa43bd"]]},
      "finding.too_few_inspectors": {"fields": [], "lookups": []},
      "finding.too_few_officers": {"fields": [], "lookups": []},
      "finding.too_few_officers_coercion": {"fields": [], "lookups": []},
      "inspection.linked_case_required": {"fields": [], "lookups": []},
      "license.credit_code_required": {"fields": [], "lookups": []},
      "license.id_document_required": {"fields": [], "lookups": []},
      "license.legal_representative_required": {"fields": [], "lookups": []},
      "license.validity_before_decision": {"fields": [], "lookups": []},
      "license.validity_end_before_start": {"fields": [], "lookups": []},
      "matter.fine_range_inverted": {"fields": [], "lookups": []},
      "officer.card_end_before_start": {"fields": [], "lookups": []},
      "penalty.act_after_decision": {"fields": [], "lookups": []},
      "penalty.act_after_filing": {"fields": [], "lookups": []},
      "penalty.act_end_before_start": {"fields": [], "lookups": []},
      "penalty.authority_code_mismatch": {"fields": [], "lookups": []},
      "penalty.closing_before_other_dates": {"fields": [], "lookups": []},
      "penalty.closing_date_required": {"fields": [], "lookups": []},
      "penalty.confiscation_amount_missing": {"fields": [], "lookups": []},
      "penalty.decision_before_filing": {"fields": [], "lookups": []},
      "penalty.decision_fields_required": {"fields": [], "lookups": []},
      "penalty.filing_date_required": {"fields": [], "lookups": []},
      "penalty.fine_amount_missing": {"fields": [], "lookups": []},
      "penalty.fine_amount_without_fine": {"fields": [], "lookups": []},
      "penalty.license_missing": {"fields": [], "lookups": []},
      "penalty.payment_before_decision": {"fields": [], "lookups": []},
      "penalty.publicity_before_decision": {"fields": [], "lookups": []},
      "penalty.publicity_end_before_decision": {"fields": [], "lookups": []},
      "penalty.review_result_before_decision": {"fields": [], "lookups": []},
      "penalty.review_result_date_required": {"fields": [], "lookups": []},
      "penalty.service_before_decision": {"fields": [], "lookups": []},
      "penalty.transfer_result_before_transfer": {"fields": [], "lookups": []},
      "penalty.transfer_result_date_required": {"fields": [], "lookups": []},
      "penalty.validity_before_decision": {"fields": [], "lookups": []},
      "penalty.withdrawal_before_publicity": {"fields": [], "lookups": []},
      "review.score_out_of_range": {"fields": [], "lookups": []},
      "review.veto_grade_mismatch": {"fields": [], "lookups": []}
  } -%}
  {%- set ns = namespace(aliases=[], items=[]) -%}
  {%- for rule_id in ([rule_ids] if rule_ids is string else rule_ids) -%}
    {%- if rule_id not in lookups -%}
      {{ exceptions.raise_compiler_error("rule " ~ rule_id ~ " has no check in standards/spec/rule_checks.yaml") }}
    {%- endif -%}
    {%- for alias, item in lookups[rule_id]["lookups"] -%}
      {%- if alias not in ns.aliases -%}
        {%- set ns.aliases = ns.aliases + [alias] -%}
        {%- set filled = _zfjd_fill(item, lookups[rule_id]["fields"], relation, columns, as_of, calendar) -%}
        {%- set ns.items = ns.items + [filled] -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- for item in ns.items %}
  {{ item }}
  {%- endfor -%}
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
      "finding.case_open_too_long": {"fields": ["AJZT", "CF_JDRQ", "CXLX", "LARQ", "YCQXZ"], "parts": {"": ["coalesce(((⟪CXLX⟫ = '2') and (⟪AJZT⟫ in ('1', '2')) and (⟪CF_JDRQ⟫ is null) and (⟪as_of⟫ > (case when (⟪YCQXZ⟫ > rule_calendar_809cac4a7c14.lookup_day) then ⟪YCQXZ⟫ else rule_calendar_809cac4a7c14.lookup_day end))), false)", "coalesce((coalesce(rule_calendar_809cac4a7c14.lookup_guessed, false) or (case when (⟪YCQXZ⟫ > rule_calendar_809cac4a7c14.lookup_day) then false else coalesce(rule_calendar_809cac4a7c14.lookup_guessed, false) end)), false)"]}},
      "finding.fine_collection_not_separated": {"fields": ["BZ", "CF_NR_FK", "CXLX", "SJFS"], "parts": {"": ["coalesce(((⟪SJFS⟫ = '2') and ((⟪CXLX⟫ <> '1') or ((round(cast(⟪CF_NR_FK⟫ as decimal(38, 10)) * 10000, 2) > 100) and (not coalesce(position('边远' in ⟪BZ⟫) > 0 or position('水上' in ⟪BZ⟫) > 0 or position('交通不便' in ⟪BZ⟫) > 0, false))))), false)", "false"]}},
      "finding.late_police_filing_decision": {"fields": ["LAJGRQ", "YSRQ"], "parts": {"": ["coalesce((⟪LAJGRQ⟫ > rule_calendar_19198413e9be.lookup_day), false)", "coalesce(coalesce(rule_calendar_19198413e9be.lookup_guessed, false), false)"]}},
      "finding.late_publicity": {"fields": ["AJZT", "CF_CFLB", "CF_JDRQ", "FYSS", "FYSSRQ", "GSRQ", "GXSJ", "body.ZFLY"], "parts": {"": ["coalesce(((⟪CF_JDRQ⟫ is not null) and (coalesce(⟪GSRQ⟫, (case when (⟪FYSS⟫ = '2') then ⟪FYSSRQ⟫ else (case when (⟪AJZT⟫ = '9') then cast(⟪GXSJ⟫ as date) else null end) end), ⟪as_of⟫) > rule_calendar_52bd278aa2a6.lookup_day) and (not (((case when ⟪CF_CFLB⟫ is null then null when ⟪CF_CFLB⟫ = '' then 0 else length(⟪CF_CFLB⟫) - length(replace(⟪CF_CFLB⟫, ';', '')) + 1 end) > 0) and (case when ⟪CF_CFLB⟫ is null then null else not exists (select 1 from unnest(string_to_array(nullif(⟪CF_CFLB⟫, ''), ';')) as list_items(item) where list_items.item not in ('警告')) end) and (not (⟪body.ZFLY⟫ <> '市场监管'))))), false)", "coalesce(coalesce(rule_calendar_52bd278aa2a6.lookup_guessed, false), false)"]}},
      "finding.late_service": {"fields": ["CF_JDRQ", "SDRQ"], "parts": {"": ["coalesce((⟪SDRQ⟫ > rule_calendar_52bd278aa2a6.lookup_day), false)", "coalesce(coalesce(rule_calendar_52bd278aa2a6.lookup_guessed, false), false)"]}},
      "finding.late_withdrawal": {"fields": ["AJZT", "CHGSRQ", "FYSS", "FYSSRQ", "GSRQ", "GXSJ"], "parts": {"": ["coalesce(((⟪GSRQ⟫ is not null) and (coalesce(⟪CHGSRQ⟫, ⟪as_of⟫) > rule_calendar_894f4a9b4e74.lookup_day)), false)", "coalesce(coalesce(rule_calendar_894f4a9b4e74.lookup_guessed, false), false)"]}},
      "finding.missing_legal_review": {"fields": ["CF_JDRQ", "FZSHRQ", "SFTZ", "SFZD"], "parts": {"": ["coalesce((((⟪SFZD⟫ = 'Y') or (⟪SFTZ⟫ = 'Y')) and (⟪CF_JDRQ⟫ is not null) and ((⟪FZSHRQ⟫ is null) or (⟪FZSHRQ⟫ > ⟪CF_JDRQ⟫))), false)", "false"]}},
      "finding.overdue_handling": {"fields": ["CF_JDRQ", "CXLX", "LARQ", "YCQXZ"], "parts": {"": ["coalesce(((⟪CXLX⟫ = '2') and (⟪CF_JDRQ⟫ > (case when (⟪YCQXZ⟫ > rule_calendar_809cac4a7c14.lookup_day) then ⟪YCQXZ⟫ else rule_calendar_809cac4a7c14.lookup_day end))), false)", "coalesce((coalesce(rule_calendar_809cac4a7c14.lookup_guessed, false) or (case when (⟪YCQXZ⟫ > rule_calendar_809cac4a7c14.lookup_day) then false else coalesce(rule_calendar_809cac4a7c14.lookup_guessed, false) end)), false)"]}},
      "finding.seizure_overdue": {"fields": ["JCRQ", "JMRQ", "QSRQ", "QZFS", "SFYC", "YCZ"], "parts": {"": ["coalesce(((⟪QZFS⟫ in ('查封场所设施或者财物', '扣押财物', '冻结存款汇款')) and ((⟪JMRQ⟫ > rule_calendar_e2063e8b82b5.lookup_day) or ((⟪SFYC⟫ = 'Y') and (⟪YCZ⟫ is not null) and (⟪YCZ⟫ > rule_calendar_b3225bcfdd3c.lookup_day)) or (coalesce(⟪JCRQ⟫, ⟪as_of⟫) > (case when ((⟪SFYC⟫ = 'Y') and (⟪YCZ⟫ is not null)) then ⟪YCZ⟫ else coalesce(⟪JMRQ⟫, rule_calendar_e2063e8b82b5.lookup_day) end)))), false)", "coalesce((case when (coalesce((⟪JMRQ⟫ > rule_calendar_e2063e8b82b5.lookup_day), false) and not coalesce(rule_calendar_e2063e8b82b5.lookup_guessed, false)) or (coalesce(((⟪SFYC⟫ = 'Y') and (⟪YCZ⟫ is not null) and (⟪YCZ⟫ > rule_calendar_b3225bcfdd3c.lookup_day)), false) and not (coalesce(rule_calendar_b3225bcfdd3c.lookup_guessed, false) or (case when ⟪JMRQ⟫ is not null then false when rule_calendar_e2063e8b82b5.lookup_day is not null then coalesce(rule_calendar_e2063e8b82b5.lookup_guessed, false) else false end))) or (coalesce((coalesce(⟪JCRQ⟫, ⟪as_of⟫) > (case when ((⟪SFYC⟫ = 'Y') and (⟪YCZ⟫ is not null)) then ⟪YCZ⟫ else coalesce(⟪JMRQ⟫, rule_calendar_e2063e8b82b5.lookup_day) end)), false) and not (false or (case when ((⟪SFYC⟫ = 'Y') and (⟪YCZ⟫ is not null)) then false else (case when ⟪JMRQ⟫ is not null then false when rule_calendar_e2063e8b82b5.lookup_day is not null then coalesce(rule_calendar_e2063e8b82b5.lookup_guessed, false) else false end) end))) then false else (coalesce(rule_calendar_e2063e8b82b5.lookup_guessed, false) or (coalesce(rule_calendar_b3225bcfdd3c.lookup_guessed, false) or (case when ⟪JMRQ⟫ is not null then false when rule_calendar_e2063e8b82b5.lookup_day is not null then coalesce(rule_calendar_e2063e8b82b5.lookup_guessed, false) else false end)) or (false or (case when ((⟪SFYC⟫ = 'Y') and (⟪YCZ⟫ is not null)) then false else (case when ⟪JMRQ⟫ is not null then false when rule_calendar_e2063e8b82b5.lookup_day is not null then coalesce(rule_calendar_e2063e8b82b5.lookup_guessed, false) else false end) end))) end), false)"]}},
      "finding.summary_procedure_exceeded": {"fields": ["CF_CFLB", "CF_NR_FK", "CF_XDR_LB", "CXLX"], "parts": {"": ["coalesce(((⟪CXLX⟫ = '1') and ((round(cast(⟪CF_NR_FK⟫ as decimal(38, 10)) * 10000, 2) > (case when (⟪CF_XDR_LB⟫ in ('自然人', '个体工商户')) then 200 else 3000 end)) or (not (case when ⟪CF_CFLB⟫ is null then null else not exists (select 1 from unnest(string_to_array(nullif(⟪CF_CFLB⟫, ''), ';')) as list_items(item) where list_items.item not in ('警告', '罚款')) end)))), false)", "false"]}},
      "finding.time_barred": {"fields": ["LARQ", "WFRQ", "WFZLRQ", "WHHG"], "parts": {"": ["coalesce((⟪LARQ⟫ > rule_calendar_a31302fa43bd.lookup_day), false)", "coalesce(coalesce(rule_calendar_a31302fa43bd.lookup_guessed, false), false)"]}},
      "finding.too_few_inspectors": {"fields": ["JCRY"], "parts": {"": ["coalesce(((case when ⟪JCRY⟫ is null then null else (select count(distinct list_items.item) from unnest(string_to_array(nullif(⟪JCRY⟫, ''), ';')) as list_items(item)) end) < 2), false)", "false"]}},
      "finding.too_few_officers": {"fields": ["CBRY"], "parts": {"": ["coalesce(((case when ⟪CBRY⟫ is null then null else (select count(distinct list_items.item) from unnest(string_to_array(nullif(⟪CBRY⟫, ''), ';')) as list_items(item)) end) < 2), false)", "false"]}},
      "finding.too_few_officers_coercion": {"fields": ["CBRY"], "parts": {"": ["coalesce(((case when ⟪CBRY⟫ is null then null else (select count(distinct list_items.item) from unnest(string_to_array(nullif(⟪CBRY⟫, ''), ';')) as list_items(item)) end) < 2), false)", "false"]}},
      "inspection.linked_case_required": {"fields": ["GLAJBH", "JCJG"], "parts": {"": ["coalesce(((⟪JCJG⟫ = '3') and (⟪GLAJBH⟫ is null)), false)", "false"]}},
      "license.credit_code_required": {"fields": ["XK_XDR_LB", "XK_XDR_SHXYM"], "parts": {"": ["coalesce(((⟪XK_XDR_LB⟫ in ('法人及非法人组织', '个体工商户')) and (⟪XK_XDR_SHXYM⟫ is null)), false)", "false"]}},
      "license.id_document_required": {"fields": ["XK_XDR_LB", "XK_XDR_ZJHM", "XK_XDR_ZJLX"], "parts": {"XK_XDR_ZJLX": ["coalesce(((⟪XK_XDR_LB⟫ = '自然人') and (⟪XK_XDR_ZJLX⟫ is null)), false)", "false"], "XK_XDR_ZJHM": ["coalesce(((⟪XK_XDR_LB⟫ = '自然人') and (⟪XK_XDR_ZJHM⟫ is null)), false)", "false"]}},
      "license.legal_representative_required": {"fields": ["XK_FRDB", "XK_XDR_LB"], "parts": {"": ["coalesce(((⟪XK_XDR_LB⟫ = '法人及非法人组织') and (⟪XK_FRDB⟫ is null)), false)", "false"]}},
      "license.validity_before_decision": {"fields": ["XK_JDRQ", "XK_YXQZ"], "parts": {"": ["coalesce((⟪XK_YXQZ⟫ < ⟪XK_JDRQ⟫), false)", "false"]}},
      "license.validity_end_before_start": {"fields": ["XK_YXQZ", "XK_YXQZI"], "parts": {"": ["coalesce((⟪XK_YXQZI⟫ < ⟪XK_YXQZ⟫), false)", "false"]}},
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
      "penalty.transfer_result_before_transfer": {"fields": ["LAJGRQ", "YSRQ"], "parts": {"": ["coalesce((⟪LAJGRQ⟫ < ⟪YSRQ⟫), false)", "false"]}},
      "penalty.transfer_result_date_required": {"fields": ["GALAJG", "LAJGRQ"], "parts": {"": ["coalesce(((⟪GALAJG⟫ in ('1', '2')) and (⟪LAJGRQ⟫ is null)), false)", "false"]}},
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
  {%- set sql = ns.parts[0] if ns.parts | length == 1 else "(" ~ ns.parts | join(" or ") ~ ")" -%}
  {{- _zfjd_fill(sql, check["fields"], relation, columns, as_of, calendar) -}}
{%- endmacro %}

{#- SQL of a check with its placeholders filled in: each field's column, the checking day, the calendar. -#}
{% macro _zfjd_fill(sql, fields, relation, columns, as_of, calendar) -%}
  {%- set ns = namespace(sql=sql) -%}
  {%- for code in fields -%}
    {%- set named = ((relation ~ ".") if relation else "") ~ '"' ~ code ~ '"' -%}
    {%- set column = columns[code] if code in columns else named -%}
    {%- set ns.sql = ns.sql.replace("⟪" ~ code ~ "⟫", column) -%}
  {%- endfor -%}
  {%- if "⟪as_of⟫" in ns.sql -%}
    {%- set ns.sql = ns.sql.replace("⟪as_of⟫", as_of if as_of is not none else as_of_date()) -%}
  {%- endif -%}
  {%- if "⟪calendar⟫" in ns.sql -%}
    {%- set workdays = calendar if calendar is not none else ref("int_workdays_numbered") | string -%}
    {%- set ns.sql = ns.sql.replace("⟪calendar⟫", workdays) -%}
  {%- endif -%}
  {{- ns.sql -}}
{%- endmacro %}

{#- Rules whose answer changes with the checking day (their checks read as_of): the warehouse judges them
    again on every build, for every current record. -#}
{% macro rules_judged_daily() -%}
  {{- return(["finding.case_open_too_long", "finding.late_publicity", "finding.late_withdrawal", "finding.seizure_overdue"]) -}}
{%- endmacro %}

{#- A rule's message or hint about a field, worded as standards/messages.py words it for validation:
    {field} → 名称（代码）; the bare code when the field is not known; nothing when there is no field. -#}
{% macro rule_text(text, field_name, field_code) -%}
  replace({{ text }}, '{field}',
          coalesce({{ field_name }} || '（' || {{ field_code }} || '）', {{ field_code }}, ''))
{%- endmacro %}
