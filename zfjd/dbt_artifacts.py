"""What the dbt project takes from the standard, generated rather than retyped (ARCHITECTURE invariant 4).

    dbt_project/seeds/code_list.csv              every code list: code, label, order, group
    dbt_project/seeds/region.csv                 the Guangdong division list
    dbt_project/seeds/rule.csv                   every rule: severity, kind, Chinese message, hint, legal basis
    dbt_project/seeds/field.csv                  every field of every entity: Chinese name, type, personal or not
    dbt_project/seeds/workday.csv                the working-day calendar (调休 included) the deadlines count in
    dbt_project/macros/generated/rule_params.sql the law's limits (90 days, 7 working days, …) as a macro
    dbt_project/macros/generated/codes.sql       code('case_status', '已撤销') → '9': models name codes by label
    dbt_project/macros/generated/rules.sql       row rules compiled to SQL: rule_violation, rule_provisional, rule_text
    dbt_project/models/staging/_sources.yml      the lake's `raw` tables, every column named and described
    dbt_project/models/staging/_staging.yml      staging columns described by the standard field they rename

`uv run python -m zfjd.dbt_artifacts` (or `write_all()`) rewrites them; a test fails when a committed file is stale.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import yaml

from quality.rule_sql import CLOSE, OPEN, body_column, compile_check
from quality.workdays import TABLE_YEARS, WorkdayCalendar
from standards.loader import standard as load_standard
from standards.model import REFERENCE_UNIT, Standard
from zfjd.warehouse import LAKE_ENTITIES, PROJECT_DIR, RAW_SCHEMA, RECORD_META

# The span quality/workdays.py tabulates (TABLE_YEARS): within it a working-day count in SQL meets the
# same days as validation — the statutory holidays fixed in advance included in years not announced
# yet, which are marked is_guessed; outside it both engines count weekends only.
CALENDAR_YEARS = (TABLE_YEARS[0], TABLE_YEARS[-1])
_META_DESCRIPTIONS = {
    "row_number": "批次内记录序号（报送文件中的数据行，表头下第一行为 1）",
    "batch_id": "批次号（落地时由报送单位、数据类别和内容摘要生成）",
    "unit": "报送单位代码（该批次的提交者）",
    "received_at": "接收时间（UTC，ISO 8601）",
}


def _csv(rows: list[list], header: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def code_list_csv(spec: Standard) -> str:
    rows = [
        [codelist.id, value.code, value.label, order, value.group or ""]
        for codelist in spec.codelists.values()
        for order, value in enumerate(codelist.values, start=1)
    ]
    return _csv(rows, ["codelist_id", "code", "label", "sort_order", "code_group"])


def region_csv(spec: Standard) -> str:
    rows = [[d.code, d.name, d.level, d.parent_code or ""] for d in spec.divisions.values()]
    return _csv(rows, ["division_code", "division_name", "division_level", "parent_code"])


def rule_csv(spec: Standard) -> str:
    rows = [
        [r.id, r.severity, r.kind, r.message, r.hint, r.basis, ";".join(r.entities)]
        for r in sorted(spec.rules.values(), key=lambda r: r.id)
    ]
    return _csv(rows, ["rule_id", "severity", "rule_kind", "message", "hint", "legal_basis", "entities"])


def field_csv(spec: Standard) -> str:
    rows = [
        [entity.code, f.code, f.name, f.type, "true" if f.personal else "false"]
        for entity in spec.entities.values()
        for f in entity.fields
    ]
    return _csv(rows, ["entity", "field_code", "field_name", "field_type", "is_personal"])


def workday_csv(spec: Standard) -> str:
    """The validator's calendar as a seed: a year not announced yet has its weekends and the statutory
    holidays fixed in advance, and `is_guessed` (provisional) on each of its days."""
    calendar = WorkdayCalendar(spec.holidays)
    day, last = dt.date(CALENDAR_YEARS[0], 1, 1), dt.date(CALENDAR_YEARS[1], 12, 31)
    rows = []
    while day <= last:
        covered = calendar.is_covered(day.year)
        workday = calendar.is_workday(day)
        rows.append([day.isoformat(), "true" if workday else "false", "false" if covered else "true"])
        day += dt.timedelta(days=1)
    return _csv(rows, ["calendar_date", "is_workday", "is_guessed"])


def rule_params_macro(spec: Standard) -> str:
    params = {r.id: r.params for r in sorted(spec.rules.values(), key=lambda r: r.id) if r.params}
    body = json.dumps(params, ensure_ascii=False, sort_keys=True)
    return (
        "{#- Generated from standards/spec/rules.yaml by zfjd/dbt_artifacts.py: do not edit. -#}\n"
        "{% macro rule_param(rule_id, name) -%}\n"
        f"  {{%- set params = {body} -%}}\n"
        "  {{- return(params[rule_id][name]) -}}\n"
        "{%- endmacro %}\n"
    )


def codes_macro(spec: Standard) -> str:
    """`code(list, label)` and `codes(list, [labels])` as SQL literals, resolved when dbt compiles.

    A model names a code by its label in the standard, so a code that changes in codelists.yaml changes
    every model with it, and a label that does not exist stops the compile instead of matching nothing.
    """
    table = {cl.id: {value.label: value.code for value in cl.values} for cl in spec.codelists.values()}
    body = json.dumps(table, ensure_ascii=False, sort_keys=True)
    return (
        "{#- Generated from standards/spec/codelists.yaml by zfjd/dbt_artifacts.py: do not edit. -#}\n"
        "{% macro code_value(codelist_id, label) -%}\n"
        f"  {{%- set codes = {body} -%}}\n"
        "  {%- if codelist_id not in codes or label not in codes[codelist_id] -%}\n"
        "    {{- exceptions.raise_compiler_error('no code ' ~ label ~ ' in code list ' ~ codelist_id) -}}\n"
        "  {%- endif -%}\n"
        "  {{- return(codes[codelist_id][label]) -}}\n"
        "{%- endmacro %}\n"
        "\n"
        "{% macro code(codelist_id, label) -%}\n"
        "  '{{ code_value(codelist_id, label) }}'\n"
        "{%- endmacro %}\n"
        "\n"
        "{% macro codes(codelist_id, labels) -%}\n"
        "  ({% for label in labels %}{{ code(codelist_id, label) }}{% if not loop.last %}, {% endif %}{% endfor %})\n"
        "{%- endmacro %}\n"
        "\n"
        "{#- The 报送单位 code the province's own extract (三库, laws) lands under: not a unit. -#}\n"
        "{% macro reference_unit() -%}\n"
        f"  '{REFERENCE_UNIT}'\n"
        "{%- endmacro %}\n"
    )


def rule_checks_macro(spec: Standard) -> str:
    """Every check of rule_checks.yaml as SQL with placeholders, and the macros that fill them in.

    Code values are not here: models name them with `code()` / `codes()` of codes.sql, the one generator.
    """
    checks, lookups = {}, {}
    for rule_id in sorted(spec.checks):
        check = spec.checks[rule_id]
        compiled = [compile_check(check, spec.entity(e), spec) for e in spec.rules[rule_id].entities]
        if any(other != compiled[0] for other in compiled[1:]):
            raise ValueError(f"{rule_id}: the check compiles differently for {spec.rules[rule_id].entities}")
        fields = sorted(check.fields_used) + [body_column(code) for code in sorted(check.body_fields_used)]
        checks[rule_id] = {
            "fields": fields,
            "parts": {code or "": list(pair) for code, pair in compiled[0].parts.items()},
        }
        lookups[rule_id] = {
            "fields": fields if compiled[0].lookups else [],
            "lookups": [[lookup.alias, lookup.from_item] for lookup in compiled[0].lookups],
        }
    daily = sorted(rule_id for rule_id, check in spec.checks.items() if check.uses_as_of)
    return _RULES_SQL.format(
        checks=_jinja_dict(checks),
        lookups=_jinja_dict(lookups),
        daily=json.dumps(daily),
        open=OPEN,
        close=CLOSE,
    )


def field_columns_macro(spec: Standard) -> str:
    """`field_columns(entity, relation)`: {field code: relation.column} for every staging column that is a
    field as reported (renamed or cast), read from the staging SQL as staging_yml reads it — so a model
    calls a rule on staged records without naming a field a second time."""
    mapping = {}
    for _model, entity, _key, columns in _staged_models(spec):
        fields = {}
        for name, codes, renamed in columns:
            if renamed and len(codes) == 1 and entity.has_field(codes[0]):
                fields.setdefault(codes[0], name)
        mapping[entity.code] = fields
    return _FIELD_COLUMNS_SQL.format(mapping=_jinja_dict(mapping))


_FIELD_COLUMNS_SQL = """\
{{#- Generated from the staging SQL by zfjd/dbt_artifacts.py: do not edit. -#}}

{{#- {{field code: "relation.column"}} of an entity's staging model, for rule_violation(columns=…). -#}}
{{% macro field_columns(entity_code, relation) -%}}
  {{%- set mapping = {mapping} -%}}
  {{%- set columns = {{}} -%}}
  {{%- for code, name in mapping[entity_code].items() -%}}
    {{%- do columns.update({{code: relation ~ "." ~ name}}) -%}}
  {{%- endfor -%}}
  {{{{- return(columns) -}}}}
{{%- endmacro %}}
"""


def _jinja_dict(mapping: dict) -> str:
    """A dict literal Jinja reads, one entry a line so that a diff shows which rule changed."""
    lines = [
        f"      {json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
        for key, value in mapping.items()
    ]
    return "{\n" + ",\n".join(lines) + "\n  }"


_RULES_SQL = """\
{{#- Generated from standards/spec/rule_checks.yaml and codelists.yaml by zfjd/dbt_artifacts.py: do not edit.
    How a model calls a rule: dbt_project/README.md. -#}}

{{#- True where the record breaks the rule (never null). `relation`: the alias whose columns are named by
    field code; `columns`: {{field code: SQL}} for columns named otherwise; `field`: one field of a rule
    checked per field (default: any); `as_of`: the checking day (default as_of_date()); `calendar`: the
    numbered workday relation (default ref('int_workdays_numbered')). A check reading body(X), the 执法主体's
    field as of the decision, takes it from columns["body.X"]. A rule that counts working days
    (workdays_after, next_workday) reads the FROM items of rule_lookups, called with the same arguments. -#}}
{{% macro rule_violation(rule_id, relation=none, columns={{}}, field=none, as_of=none, calendar=none) -%}}
  {{{{- _zfjd_rule_sql(rule_id, 0, relation, columns, field, as_of, calendar) -}}}}
{{%- endmacro %}}

{{#- True where the rule's answer counted working days through a year whose holidays are not announced
    (is_guessed in the workday seed) on the way the answer took: the finding is provisional. -#}}
{{% macro rule_provisional(rule_id, relation=none, columns={{}}, field=none, as_of=none, calendar=none) -%}}
  {{{{- _zfjd_rule_sql(rule_id, 1, relation, columns, field, as_of, calendar) -}}}}
{{%- endmacro %}}

{{#- The calendar lookups of the rules named (a rule id or a list of them) as FROM items, each computed
    once per record and read by name by rule_violation / rule_provisional: `from cases
    {{{{ rule_lookups(['finding.late_publicity', …], columns=fields) }}}}`, after the relations the rules
    read and with the same relation, columns, as_of and calendar as the rules' calls. A lookup that rules
    share is added once; a rule that counts no working days adds none. -#}}
{{% macro rule_lookups(rule_ids, relation=none, columns={{}}, as_of=none, calendar=none) -%}}
  {{%- set lookups = {lookups} -%}}
  {{%- set ns = namespace(aliases=[], items=[]) -%}}
  {{%- for rule_id in ([rule_ids] if rule_ids is string else rule_ids) -%}}
    {{%- if rule_id not in lookups -%}}
      {{{{ exceptions.raise_compiler_error("rule " ~ rule_id ~ " has no check in standards/spec/rule_checks.yaml") }}}}
    {{%- endif -%}}
    {{%- for alias, item in lookups[rule_id]["lookups"] -%}}
      {{%- if alias not in ns.aliases -%}}
        {{%- set ns.aliases = ns.aliases + [alias] -%}}
        {{%- set filled = _zfjd_fill(item, lookups[rule_id]["fields"], relation, columns, as_of, calendar) -%}}
        {{%- set ns.items = ns.items + [filled] -%}}
      {{%- endif -%}}
    {{%- endfor -%}}
  {{%- endfor -%}}
  {{%- for item in ns.items %}}
  {{{{ item }}}}
  {{%- endfor -%}}
{{%- endmacro %}}

{{% macro _zfjd_rule_sql(rule_id, part, relation, columns, field, as_of, calendar) -%}}
  {{%- set checks = {checks} -%}}
  {{%- if rule_id not in checks -%}}
    {{{{ exceptions.raise_compiler_error("rule " ~ rule_id ~ " has no check in standards/spec/rule_checks.yaml") }}}}
  {{%- endif -%}}
  {{%- set check = checks[rule_id] -%}}
  {{%- if field is not none and "" not in check["parts"] and field not in check["parts"] -%}}
    {{{{ exceptions.raise_compiler_error("rule " ~ rule_id ~ " has no check for field " ~ field) }}}}
  {{%- endif -%}}
  {{%- set ns = namespace(parts=[]) -%}}
  {{%- for code, pair in check["parts"].items() -%}}
    {{%- if field is none or code == "" or code == field -%}}
      {{%- set ns.parts = ns.parts + [pair[part]] -%}}
    {{%- endif -%}}
  {{%- endfor -%}}
  {{%- set sql = ns.parts[0] if ns.parts | length == 1 else "(" ~ ns.parts | join(" or ") ~ ")" -%}}
  {{{{- _zfjd_fill(sql, check["fields"], relation, columns, as_of, calendar) -}}}}
{{%- endmacro %}}

{{#- SQL of a check with its placeholders filled in: each field's column, the checking day, the calendar. -#}}
{{% macro _zfjd_fill(sql, fields, relation, columns, as_of, calendar) -%}}
  {{%- set ns = namespace(sql=sql) -%}}
  {{%- for code in fields -%}}
    {{%- set named = ((relation ~ ".") if relation else "") ~ '"' ~ code ~ '"' -%}}
    {{%- set column = columns[code] if code in columns else named -%}}
    {{%- set ns.sql = ns.sql.replace("{open}" ~ code ~ "{close}", column) -%}}
  {{%- endfor -%}}
  {{%- if "{open}as_of{close}" in ns.sql -%}}
    {{%- set ns.sql = ns.sql.replace("{open}as_of{close}", as_of if as_of is not none else as_of_date()) -%}}
  {{%- endif -%}}
  {{%- if "{open}calendar{close}" in ns.sql -%}}
    {{%- set workdays = calendar if calendar is not none else ref("int_workdays_numbered") | string -%}}
    {{%- set ns.sql = ns.sql.replace("{open}calendar{close}", workdays) -%}}
  {{%- endif -%}}
  {{{{- ns.sql -}}}}
{{%- endmacro %}}

{{#- Rules whose answer changes with the checking day (their checks read as_of): the warehouse judges them
    again on every build, for every current record. -#}}
{{% macro rules_judged_daily() -%}}
  {{{{- return({daily}) -}}}}
{{%- endmacro %}}

{{#- A rule's message or hint about a field, worded as standards/messages.py words it for validation:
    {{field}} → 名称（代码）; the bare code when the field is not known; nothing when there is no field. -#}}
{{% macro rule_text(text, field_name, field_code) -%}}
  replace({{{{ text }}}}, '{{field}}',
          coalesce({{{{ field_name }}}} || '（' || {{{{ field_code }}}} || '）', {{{{ field_code }}}}, ''))
{{%- endmacro %}}
"""


def sources_yml(spec: Standard) -> str:
    tables = []
    for code in LAKE_ENTITIES:
        entity = spec.entity(code)
        columns = [
            {"name": f.code, "description": f"{f.name}（{f.code}）：{f.description}".rstrip("：")}
            for f in entity.fields
        ]
        columns += [{"name": name, "description": _META_DESCRIPTIONS[name]} for name in RECORD_META]
        tables.append(
            {
                "name": code,
                "description": f"{entity.name}：各批次校验通过的记录（每个版本一行，未脱敏，仅限受限的 raw 模式）",
                "columns": columns,
            }
        )
    tables.append(
        {
            "name": "ledger",
            "description": "批次台账：每个落地批次一行，接收数 = 通过数 + 退回数",
            "columns": [{"name": "batch_id", "description": "批次号"}],
        }
    )
    tables.append(
        {
            "name": "issue",
            "description": "校验问题：每条退回原因或监督发现一行（批次号 + 行号 + 规则 + 数据项）",
            "columns": [{"name": "batch_id", "description": "批次号"}],
        }
    )
    document = {
        "version": 2,
        "sources": [
            {
                "name": "lake",
                "description": (
                    "数据湖：落地并校验后的批次（由 zfjd.warehouse 载入 raw 模式；含个人信息，不对分析人员发布）"
                ),
                "schema": RAW_SCHEMA,
                "tables": tables,
            }
        ],
    }
    header = "# Generated from standards/spec/ by zfjd/dbt_artifacts.py: do not edit.\n"
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=200)


STAGED_ENTITIES = {
    "stg_lake__penalty_cases": ("penalty_case", "case_id"),
    "stg_lake__coercion_cases": ("coercion_case", "coercion_id"),
    "stg_lake__inspections": ("inspection", "inspection_id"),
    "stg_lake__case_events": ("case_event", None),
    "stg_lake__review_results": ("review_result", "review_id"),
    "stg_lake__licenses": ("license", "license_id"),
    "stg_lake__enforcement_entities": ("enforcement_entity", "entity_id"),
    "stg_lake__officers": ("officer", "card_number"),
    "stg_lake__matters": ("matter", "matter_version_id"),
    "stg_lake__laws": ("law", "law_id"),
    "stg_lake__law_articles": ("law_article", "law_article_id"),
}
def _staged_models(spec: Standard):
    """(model, entity, key, its final select's columns as staging_columns reads them) per staging model."""
    for model, (entity_code, key) in STAGED_ENTITIES.items():
        sql = (PROJECT_DIR / "models" / "staging" / f"{model}.sql").read_text(encoding="utf-8")
        yield model, spec.entity(entity_code), key, staging_columns(sql, model)


def staging_yml(spec: Standard) -> str:
    """Describes each staging column by the standard field(s) it is made from, read from the model's SQL
    (the one place the English name of a field is chosen), so dbt docs show 中文名（代码） beside every
    column: a rename or cast as the field itself, any other expression as derived from its fields."""
    models = []
    for model, entity, key, staged in _staged_models(spec):
        columns = []
        for name, codes, renamed in staged:
            fields = [entity.field(code) for code in codes if entity.has_field(code)]
            if name == key or not fields or any(c["name"] == name for c in columns):
                continue
            named = "、".join(f"{field.name}（{field.code}）" for field in fields)
            personal = _personal(fields[0]) if any(f.personal for f in fields) else ""
            description = named if renamed and len(fields) == 1 else f"由{named}得出"
            columns.append({"name": name, "description": description + personal})
        if key:
            columns.insert(0, {"name": key, "description": "记录键（自然键）", "data_tests": ["unique", "not_null"]})
        models.append(
            {
                "name": model,
                "description": f"{entity.name}：{_LATEST_VERSION}",
                "columns": columns,
            }
        )
    header = "# Generated from standards/spec/ and the staging SQL by zfjd/dbt_artifacts.py: do not edit.\n"
    return header + yaml.safe_dump({"version": 2, "models": models}, allow_unicode=True, sort_keys=False, width=200)


# A dbt call in a staging model ({{ source(...) }}, {{ latest_versions(...) }}, {{ code(...) }} …) stands
# for a relation or a value; a scalar subquery is valid SQL in every such place, so the model parses
# without dbt, and DuckDB's own parser (not a pattern) says what each output column is made of.
_DBT_CALL = "(select * from dbt_call)"


def staging_columns(sql: str, model: str = "model") -> list[tuple[str, tuple[str, ...], bool]]:
    """The final select's columns: (name, the raw columns it reads in order, whether it only renames or casts
    one of them). Jinja is rendered with every macro standing for `_DBT_CALL`; the SQL is parsed by DuckDB
    (`json_serialize_sql`)."""
    import duckdb
    import jinja2
    import jinja2.meta

    environment = jinja2.Environment()
    calls = jinja2.meta.find_undeclared_variables(environment.parse(sql))
    rendered = environment.from_string(sql).render({name: lambda *_, **__: _DBT_CALL for name in calls})
    with duckdb.connect() as con:
        tree = json.loads(con.execute("select json_serialize_sql(?)", [rendered]).fetchone()[0])
    if tree.get("error"):
        raise ValueError(f"{model}: DuckDB cannot parse the staging SQL: {tree.get('error_message')}")
    node = tree["statements"][0]["node"]
    while node.get("type") == "SET_OPERATION_NODE":
        node = node["left"]
    result = []
    for item in node["select_list"]:
        codes = tuple(dict.fromkeys(_column_refs(item)))
        name = item.get("alias") or (item["column_names"][-1] if item["class"] == "COLUMN_REF" else "")
        child = item.get("child") if item["class"] == "CAST" else item
        renamed = child is not None and child.get("class") == "COLUMN_REF"
        if name:
            result.append((name, codes, renamed))
    return result


def _column_refs(node) -> list[str]:
    """Every column an expression reads, left to right; a subquery (a dbt call) is not looked into."""
    if isinstance(node, list):
        return [code for child in node for code in _column_refs(child)]
    if not isinstance(node, dict):
        return []
    if node.get("class") == "SUBQUERY":
        return []
    if node.get("class") == "COLUMN_REF":
        return [node["column_names"][-1]]
    return [code for value in node.values() for code in _column_refs(value)]


_LATEST_VERSION = "每个自然键的最新版本（更新时间最晚者，其次批次、行号靠后者）；未脱敏，受限模式"


def _personal(field) -> str:
    return "，个人信息（仅限受限模式）" if field.personal else ""


def artifacts(spec: Standard | None = None) -> dict[Path, str]:
    spec = spec or load_standard()
    return {
        PROJECT_DIR / "seeds" / "code_list.csv": code_list_csv(spec),
        PROJECT_DIR / "seeds" / "region.csv": region_csv(spec),
        PROJECT_DIR / "seeds" / "rule.csv": rule_csv(spec),
        PROJECT_DIR / "seeds" / "workday.csv": workday_csv(spec),
        PROJECT_DIR / "seeds" / "field.csv": field_csv(spec),
        PROJECT_DIR / "macros" / "generated" / "rule_params.sql": rule_params_macro(spec),
        PROJECT_DIR / "macros" / "generated" / "codes.sql": codes_macro(spec),
        PROJECT_DIR / "macros" / "generated" / "rules.sql": rule_checks_macro(spec),
        PROJECT_DIR / "macros" / "generated" / "field_columns.sql": field_columns_macro(spec),
        PROJECT_DIR / "models" / "staging" / "_sources.yml": sources_yml(spec),
        PROJECT_DIR / "models" / "staging" / "_staging.yml": staging_yml(spec),
    }


def write_all() -> list[Path]:
    written = []
    for path, text in artifacts().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        print(written_path)
