"""How a rule's message and hint read to people: one function for every place that shows them.

`{field}` becomes the field's 名称（代码）, e.g. 处罚决定日期（CF_JDRQ）; a rule reported on no field (or on a
code the entity does not have) names it by its code, or not at all. Used by `zfjd validate` (JSON,
XLSX and HTML, quality/report.py) and, through the generated dbt macro `rule_text(text, field_name,
field_code)` (dbt_project/macros/generated/rules.sql, tested against this function), by the warehouse's
ops_rejection, from which the units' feedback files are built.
"""

from __future__ import annotations

from standards.model import Entity, Rule

FIELD_PLACEHOLDER = "{field}"
# How a group heading names the field when it covers many (the HTML report groups errors by rule).
ANY_FIELD = "字段"
ANY_FIELD_HINT = "该字段"


def field_label(entity: Entity | None, code: str | None) -> str:
    """名称（代码） of a field; the bare code when the entity has no such field; "" for no field."""
    if not code:
        return ""
    if entity is not None and entity.has_field(code):
        return entity.field(code).label
    return code


def render(text: str, label: str) -> str:
    return text.replace(FIELD_PLACEHOLDER, label)


def rule_message(rule: Rule, entity: Entity | None = None, field: str | None = None) -> str:
    """The rule's message about `field` of a record of `entity`."""
    return render(rule.message, field_label(entity, field))


def rule_hint(rule: Rule, entity: Entity | None = None, field: str | None = None) -> str:
    """The rule's advice on how to fix `field` of a record of `entity`."""
    return render(rule.hint, field_label(entity, field))


def rule_heading(rule: Rule) -> tuple[str, str]:
    """(message, hint) for a heading over all the records a rule failed, whatever their field."""
    return render(rule.message, ANY_FIELD), render(rule.hint, ANY_FIELD_HINT)
