"""The spec checks itself when loaded: a mistake in standards/spec/ fails at load, naming the entry."""

from __future__ import annotations

import shutil

import pytest
import yaml

from standards.loader import SPEC_DIR, SpecError, load_standard, standard


@pytest.fixture
def spec_copy(tmp_path):
    target = tmp_path / "spec"
    shutil.copytree(SPEC_DIR, target)
    return target


def _edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_project_spec_loads():
    spec = standard()
    assert {"penalty_case", "coercion_case", "inspection", "enforcement_entity", "officer", "matter", "law",
            "law_article", "case_event", "license", "review_result"} == set(spec.entities)
    assert len(spec.divisions) == 1901
    counts = {}
    for division in spec.divisions.values():
        counts[division.level] = counts.get(division.level, 0) + 1
    assert counts == {"province": 1, "city": 21, "county": 122, "township": 1757}
    assert spec.codelists["penalty_kind"].codes[:3] == ("警告", "通报批评", "罚款")
    assert {r.severity for r in spec.rules.values()} == {"reject", "finding"}


def test_the_division_list_is_the_statistics_bureau_copy_unchanged():
    # The list was copied whole from the statistics bureau's Guangdong codes (mid-2023); an edit to it
    # must be a deliberate new copy, so its digest is recorded here.
    import hashlib

    digest = hashlib.sha256((SPEC_DIR / "divisions.csv").read_bytes()).hexdigest()
    assert digest == "e5146c4a14e3395d7053c9fb020a25583e4708861deed298cb722b6a80bf14ad"


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("rules.yaml", lambda d: d.append({**d[-1], "id": "x.bad", "fields": ["NOPE"]}), "field NOPE"),
        ("rules.yaml", lambda d: d.append(dict(d[-1])), "id used twice"),
        ("rules.yaml", lambda d: d.append({**d[-1], "id": "x.sev", "severity": "warn"}), "severity"),
        ("rules.yaml", lambda d: d.append({**d[-1], "id": "x.msg", "message": "{value}错"}), "{field}"),
        ("rules.yaml", lambda d: d.append({**d[-1], "id": "x.ent", "entities": ["nothing"]}), "unknown entity"),
        ("rules.yaml", lambda d: d.append({**d[-1], "id": "x.lim", "params": {"max_days": "ninety"}}),
         "param max_days"),
        ("entities.yaml", lambda d: d["officer"]["fields"].append({"code": "X", "name": "某", "type": "money",
                                                                   "presence": "O"}), "unknown type"),
        ("entities.yaml", lambda d: d["officer"]["fields"].append({"code": "Y", "name": "某", "type": "code",
                                                                   "presence": "O", "codelist": "nope"}),
         "unknown codelist"),
        ("entities.yaml", lambda d: d["officer"].update(key=["NOPE"]), "unknown field NOPE"),
        ("entities.yaml", lambda d: d["officer"].update(reported_by="city"), "reported_by must be one of"),
        ("codelists.yaml", lambda d: d["case_status"]["values"].append(["1", "重复"]), "code twice"),
    ],
)
def test_a_mistake_in_the_spec_fails_at_load(spec_copy, file, change, message):
    _edit(spec_copy / file, change)
    with pytest.raises(SpecError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_standard(spec_copy)


def test_every_code_field_names_a_codelist_and_every_field_has_a_chinese_name():
    spec = standard()
    for entity in spec.entities.values():
        for field in entity.fields:
            assert field.name and not field.name.isascii()
            if field.type in ("code", "code_set"):
                assert field.codelist in spec.codelists


def test_code_values_named_by_the_rules_are_resolved_from_the_code_lists():
    from quality import rules

    spec = standard()
    level_labels = {value.label for value in spec.codelists["admin_level"].values}
    assert set(rules.LEVEL_OF_DIVISION.values()) <= level_labels
    assert {d.level for d in spec.divisions.values()} == set(rules.LEVEL_OF_DIVISION)
    summary = spec.checks["finding.summary_procedure_exceeded"].violations[None]
    resolved = [n.codes for n in summary.walk() if type(n).__name__ == "CodeValues"]
    code = {cl: spec.codelists[cl].spelling_to_code() for cl in ("procedure_type", "counterparty_type", "penalty_kind")}
    assert resolved == [
        (code["procedure_type"]["简易程序"],),
        (code["counterparty_type"]["自然人"], code["counterparty_type"]["个体工商户"]),
        (code["penalty_kind"]["警告"], code["penalty_kind"]["罚款"]),
    ]


def test_who_reports_each_entity_is_named_once_in_the_spec():
    spec = standard()
    # 行政许可 arrives from the 广东政务服务网, registered on the exchange as one more 报送单位 (license only)
    assert spec.unit_reported_entities == ("penalty_case", "coercion_case", "inspection", "case_event",
                                           "license", "review_result")
    assert spec.extract_entities == ("enforcement_entity", "officer", "matter", "law", "law_article")


def test_the_fast_yaml_parser_reads_every_spec_file_as_the_python_one():
    import yaml

    from standards import loader

    paths = sorted(SPEC_DIR.parent.rglob("*.yaml"))
    assert len(paths) >= 5
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert loader._read_yaml(path) == yaml.load(text, Loader=yaml.SafeLoader), path
