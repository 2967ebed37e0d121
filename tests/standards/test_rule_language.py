"""The rule language refuses what it does not know, at load, naming the rule; and says what it means."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from standards.loader import SPEC_DIR, SpecError, load_standard, standard
from standards.messages import rule_heading, rule_hint, rule_message
from standards.rule_language import CodeValues, FieldRef, Param


@pytest.fixture
def spec_copy(tmp_path):
    target = tmp_path / "spec"
    shutil.copytree(SPEC_DIR, target)
    return target


def _set_check(spec_dir, rule_id, check, section="checks"):
    path = spec_dir / "rule_checks.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["checks"].pop(rule_id, None)
    data["engine_specific"].pop(rule_id, None)
    if check is not None:
        data[section][rule_id] = check
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("rule_id", "check", "message"),
    [
        (
            "penalty.closing_date_required",
            "AJZT == code(case_status, 已完结) and missing(JARQ)",
            "penalty.closing_date_required: '已完结' is not a name in code list case_status",
        ),
        ("penalty.closing_date_required", "AJZT == code(case_state, 已结案)", "unknown code list 'case_state'"),
        ("penalty.closing_date_required", "AJZT == '6' and missing(JARQ)", "AJZT is a code: compare it with code"),
        (
            "penalty.closing_date_required",
            "AJZT == code(procedure_type, 普通程序)",
            "AJZT takes codes of case_status, not of procedure_type",
        ),
        ("penalty.closing_date_required", "AJZT == code(case_status, 已结案) and missing(NOPE)", "field NOPE"),
        ("finding.overdue_handling", "CF_JDRQ > days_after(LARQ, max_day)", "'max_day' is neither"),
        ("finding.overdue_handling", "CF_JDRQ > LARQ + 90", "is not part of the rule language"),
        ("finding.overdue_handling", "__import__('os').system('true')", "call a function of the language"),
        ("finding.overdue_handling", "open(LARQ)", "unknown function open()"),
        ("finding.overdue_handling", "CF_JDRQ > 90", "cannot compare CF_JDRQ (date) with 90 (number)"),
        ("finding.overdue_handling", "CF_JDRQ.year > 2020", "is not part of the rule language"),
        ("finding.late_publicity", "GSRQ > workdays_after(CF_JDRQ, 7.5)", "whole number of days"),
        ("finding.late_publicity", "GSRQ > workdays_after(CF_JDRQ, LARQ)", "whole number of days"),
        ("finding.missing_legal_review", "SFZD == 'yes'", "SFZD is Y or N"),
        ("finding.missing_legal_review", "CF_JDRQ <", "does not parse"),
        ("finding.overdue_handling", {"NOPE": "CF_JDRQ > LARQ"}, "not among the rule's fields"),
        ("field.required", "present(LARQ)", "a rule of kind field is not checked here"),
        ("no.such_rule", "present(LARQ)", "no.such_rule: no such rule in rules.yaml"),
    ],
)
def test_a_wrong_check_fails_at_load_naming_the_rule(spec_copy, rule_id, check, message):
    _set_check(spec_copy, rule_id, check)
    with pytest.raises(SpecError, match=re.escape(message)):
        load_standard(spec_copy)


def test_a_row_rule_needs_a_check_or_a_reason_to_be_engine_specific(spec_copy):
    _set_check(spec_copy, "penalty.decision_before_filing", None)
    with pytest.raises(
        SpecError, match=re.escape("penalty.decision_before_filing: a row rule has no check and no engine_spec")
    ):
        load_standard(spec_copy)
    _set_check(spec_copy, "penalty.decision_before_filing", "", section="engine_specific")
    with pytest.raises(SpecError, match="engine_specific says why"):
        load_standard(spec_copy)


def test_checks_resolve_names_limits_and_fields():
    spec = standard()
    check = spec.checks["finding.summary_procedure_exceeded"]
    nodes = list(check.violations[None].walk())
    assert ("警告", "罚款") in {n.codes for n in nodes if isinstance(n, CodeValues)}
    assert {(n.name, n.value) for n in nodes if isinstance(n, Param)} == {
        ("max_fine_person_yuan", 200),
        ("max_fine_organisation_yuan", 3000),
    }
    assert check.fields_used == {"CXLX", "CF_NR_FK", "CF_XDR_LB", "CF_CFLB"}
    assert {n.code for n in nodes if isinstance(n, FieldRef)} == check.fields_used
    assert spec.checks["finding.late_service"].uses_workdays
    assert not spec.checks["penalty.decision_before_filing"].uses_workdays
    assert set(spec.checks["penalty.decision_fields_required"].violations) == {
        "CF_JDRQ",
        "CF_WSH",
        "CF_CFLB",
        "CF_NR",
        "CF_YJ",
        "CF_YXQ",
    }


def test_a_message_names_the_field_by_name_and_code():
    spec = standard()
    penalty = spec.entity("penalty_case")
    required = spec.rules["field.required"]
    assert rule_message(required, penalty, "CF_JDRQ") == "处罚决定日期（CF_JDRQ）为必填项，不能为空"
    assert rule_hint(required, penalty, "CF_JDRQ") == "请按标准填写处罚决定日期（CF_JDRQ）"
    assert rule_message(required, penalty, "NOT_A_FIELD") == "NOT_A_FIELD为必填项，不能为空"
    assert rule_heading(required) == ("字段为必填项，不能为空", "请按标准填写该字段")
    finding = spec.rules["finding.late_service"]
    assert rule_message(finding, penalty, "SDRQ") == finding.message
