{#- Generated from standards/spec/rules.yaml by zfjd/dbt_artifacts.py: do not edit. -#}
{% macro rule_param(rule_id, name) -%}
  {%- set params = {"finding.case_open_too_long": {"max_days": 90}, "finding.fine_collection_not_separated": {"max_on_the_spot_yuan": 100, "remote_area_words": ["边远", "水上", "交通不便"]}, "finding.late_police_filing_decision": {"days": 3}, "finding.late_publicity": {"working_days": 7}, "finding.late_service": {"working_days": 7}, "finding.late_withdrawal": {"working_days": 3}, "finding.overdue_handling": {"max_days": 90}, "finding.seizure_overdue": {"max_days": 30, "max_extension_days": 30}, "finding.summary_procedure_exceeded": {"max_fine_organisation_yuan": 3000, "max_fine_person_yuan": 200}, "finding.time_barred": {"years": 2, "years_with_harm": 5}, "review.score_out_of_range": {"max_content": 80, "max_presentation": 20}} -%}
  {{- return(params[rule_id][name]) -}}
{%- endmacro %}
