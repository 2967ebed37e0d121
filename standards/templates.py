"""Submission templates (报送模板): XLSX workbooks that units fill in and send back as they are.

Headers are exactly the fields' Chinese names, so a filled template passes intake unchanged. Everything
else a unit needs to know about a column lives around the header instead: its colour (必填/条件必填/选填),
a comment (code, type, notes, rules), the column's number format and a drop-down for coded values.

Write them with `python -m standards.templates <folder>`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_range_abs
from xlsxwriter.workbook import Format, Workbook
from xlsxwriter.worksheet import Worksheet

from standards.dictionary import (
    PRESENCE_NAMES,
    SEVERITY_NAMES,
    TYPE_NAMES,
    field_notes,
    plain_text,
    rules_with_fields,
)
from standards.loader import standard as project_standard
from standards.model import LIST_SEPARATOR, Entity, Field, Rule, Standard

INSTRUCTIONS_SHEET = "填报说明"
CODE_TABLE_SHEET = "代码表"
ALL_ENTITIES_NAME = "报送模板.xlsx"
LAST_ROW = 1_048_575  # Excel's last row (0-based): formats and drop-downs cover the whole column
SHEET_NAME_LIMIT = 31
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")

# Typed into a General cell, Excel turns 00123 into 123 and an 18-digit number into 1.2E+17; text keeps them.
TEXT_TYPES = frozenset({"text", "uscc", "uscc_list", "ric", "division", "code", "code_set", "text_list", "yn"})
DATE_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}
HEADER_COLOURS = {"R": "#C00000", "C": "#C65911", "O": "#000000"}
LIST_FIELD_TYPES = frozenset({"uscc_list", "code_set", "text_list"})


def sheet_name(entity: Entity) -> str:
    if len(entity.name) > SHEET_NAME_LIMIT or SHEET_NAME_FORBIDDEN & set(entity.name):
        raise ValueError(f"{entity.code}: {entity.name!r} cannot be an Excel sheet name")
    return entity.name


def _formats(workbook: Workbook) -> dict[str, Format]:
    formats = {
        "text": workbook.add_format({"num_format": "@"}),
        "date": workbook.add_format({"num_format": DATE_FORMATS["date"]}),
        "datetime": workbook.add_format({"num_format": DATE_FORMATS["datetime"]}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "topic": workbook.add_format({"bold": True, "valign": "top"}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "table_header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
    }
    for presence, colour in HEADER_COLOURS.items():
        formats[f"header_{presence}"] = workbook.add_format(
            {
                "bold": True,
                "font_color": colour,
                "bg_color": "#F2F2F2",
                "border": 1,
                "num_format": "@",
                "text_wrap": True,
                "valign": "vcenter",
                "align": "center",
            }
        )
    return formats


def _column_format(spec_field: Field, formats: dict[str, Format]) -> Format | None:
    if spec_field.type in TEXT_TYPES:
        return formats["text"]
    return formats.get(spec_field.type)  # dates and date-times; numbers stay General


def _column_width(spec_field: Field) -> int:
    """Wide enough for the header (a CJK character is two widths) and for long free text."""
    long_text = spec_field.max_length is not None and spec_field.max_length >= 500
    return min(40, max(14, 2 * len(spec_field.name) + 2, 30 if long_text else 0))


# --- 代码表: every code list's labels, one column each, for the drop-downs to point at --------------------


def _write_code_table(sheet: Worksheet, standard: Standard, formats: dict[str, Format]) -> dict[str, str]:
    """Writes the labels and returns, per code list, the range a drop-down takes them from."""
    sources = {}
    for column, codelist in enumerate(standard.codelists.values()):
        sheet.write_string(0, column, f"{codelist.name}（{codelist.id}）", formats["table_header"])
        for row, value in enumerate(codelist.values, start=1):
            sheet.write_string(row, column, value.label, formats["text"])
        sheet.set_column(column, column, 20)
        cells = xl_range_abs(1, column, len(codelist.values), column)
        sources[codelist.id] = f"='{CODE_TABLE_SHEET}'!{cells}"
    sheet.hide()  # units choose from the drop-downs; the sheet only feeds them
    return sources


# --- entity sheets ----------------------------------------------------------------------------------------


def _validation(spec_field: Field, sources: dict[str, str]) -> dict | None:
    title = spec_field.name[:32]  # Excel's limit for a validation's titles
    if spec_field.type == "yn":
        return {
            "validate": "list",
            "source": ["Y", "N"],
            "error_title": title,
            "error_message": "只能填 Y（是）或 N（否）",
        }
    if spec_field.type == "code":
        # A warning, not a stop: codes, and 其他-… values of open lists, are valid but not in the drop-down.
        return {
            "validate": "list",
            "source": sources[spec_field.codelist],
            "error_type": "warning",
            "error_title": title,
            "error_message": "不在下拉框中。可填代码表中的名称或代码；确认无误请点「是」。",
        }
    if spec_field.type == "code_set":
        # Several values joined by `;` never match the list, so the drop-down only offers, never refuses.
        return {
            "validate": "list",
            "source": sources[spec_field.codelist],
            "show_error": False,
            "input_title": title,
            "input_message": f"可从下拉框选择，多个值以英文分号「{LIST_SEPARATOR}」分隔",
        }
    return None


def _rules_about(standard: Standard, entity: Entity, spec_field: Field) -> list[Rule]:
    """Field rules that check this field, and record rules that name it first (the field they flag)."""
    about = []
    for rule, fields in rules_with_fields(standard, entity):
        flagged = fields if rule.kind == "field" else fields[:1]
        if spec_field in flagged:
            about.append(rule)
    return about


def _header_comment(standard: Standard, entity: Entity, spec_field: Field) -> str:
    lines = [
        f"{spec_field.code}｜{PRESENCE_NAMES[spec_field.presence]}｜{TYPE_NAMES[spec_field.type]}",
        *(plain_text(note) for note in field_notes(spec_field, standard)),
    ]
    rules = _rules_about(standard, entity, spec_field)
    if rules:
        lines.append("校验：")
        lines += (
            f"· {SEVERITY_NAMES[rule.severity]}：{rule.message.replace('{field}', spec_field.name)}" for rule in rules
        )
    return "\n".join(lines)


def _write_entity_sheet(
    sheet: Worksheet, standard: Standard, entity: Entity, formats: dict[str, Format], sources: dict[str, str]
) -> None:
    sheet.freeze_panes(1, 0)
    sheet.set_row(0, 32)
    for column, spec_field in enumerate(entity.fields):
        sheet.set_column(column, column, _column_width(spec_field), _column_format(spec_field, formats))
        sheet.write_string(0, column, spec_field.name, formats[f"header_{spec_field.presence}"])
        comment = _header_comment(standard, entity, spec_field)
        sheet.write_comment(
            0, column, comment, {"author": "zfjd", "x_scale": 2.5, "y_scale": 1 + comment.count("\n") / 3}
        )
        validation = _validation(spec_field, sources)
        if validation:
            sheet.data_validation(1, column, LAST_ROW, column, validation)


# --- 填报说明 ------------------------------------------------------------------------------------


def _fields_where(entities: list[Entity], wanted: Callable[[Field], bool]) -> str:
    """Each matching field once, by 名称（代码）, across the chosen entities."""
    seen: dict[str, str] = {}
    for entity in entities:
        for spec_field in entity.fields:
            if wanted(spec_field):
                seen.setdefault(spec_field.code, spec_field.label)
    return "、".join(seen.values())


def _listing(lead: str, fields: str) -> str:
    """A topic that lists fields says nothing when the chosen entities have none of them."""
    return lead + fields if fields else ""


def _instructions(standard: Standard, entities: list[Entity]) -> list[tuple[str, str]]:
    used_lists = {spec_field.codelist for entity in entities for spec_field in entity.fields}
    open_lists = [
        codelist for codelist in standard.codelists.values() if codelist.open_prefix and codelist.id in used_lists
    ]
    list_fields = _fields_where(entities, lambda f: f.type in LIST_FIELD_TYPES)
    yn_fields = _fields_where(entities, lambda f: f.type == "yn")
    personal_fields = _fields_where(entities, lambda f: f.personal)
    in_wan = _fields_where(entities, lambda f: f.unit == "万元")
    in_yuan = _fields_where(entities, lambda f: f.unit == "元")
    amounts = "；".join(
        part
        for part in (
            f"以万元为单位（2000元填0.2）：{in_wan}" if in_wan else "",
            f"以元为单位：{in_yuan}" if in_yuan else "",
        )
        if part
    )
    topics = [
        ("工作表", "每类数据一个工作表：" + "、".join(sheet_name(entity) for entity in entities) + "。"),
        (
            "表头",
            "第一行是字段中文名，请保持原样，不要增加星号、空格或说明文字；表头也可以改用字段代码（如把「"
            f"{entities[0].fields[0].name}」改为「{entities[0].fields[0].code}」），两种写法都能识别。",
        ),
        (
            "必填",
            "红色表头为必填；橙色为条件必填，满足条件时必须填写（条件见表头批注）；黑色为选填。"
            "鼠标停在表头上可查看字段代码、说明和校验规则。",
        ),
        (
            "日期",
            "日期可写成 2024-03-05、2024/3/5、2024年3月5日 或 20240305；不要写成 24-3-5 或 03/05/2024 这类"
            "有歧义的写法。日期时间写成 2024-03-05 14:30:00。本模板的日期列已设为日期格式，"
            "建议写成 2024-03-05（写成 20240305 也能识别，但 Excel 会显示为 ####）。",
        ),
        (
            "代码",
            "代码类字段可从下拉框选择名称，也可以直接填写代码；代码与名称的对照见数据字典。"
            + "".join(
                f"{codelist.name}不在表中的，写作「{codelist.open_prefix}」加具体名称。" for codelist in open_lists
            ),
        ),
        ("多个值", _listing(f"以下字段可填多个值，以英文分号「{LIST_SEPARATOR}」分隔：", list_fields)),
        ("是否", _listing("以下字段只填 Y（是）或 N（否）：", yn_fields)),
        (
            "金额",
            "金额只填数字，不带单位、千分位逗号或文字。"
            "处罚金额（CF_ 开头的字段）以万元为单位，其他金额以元为单位。"
            + (f"本模板中：{amounts}。" if amounts else ""),
        ),
        (
            "统一社会信用代码",
            "18位，字母用大写。没有统一社会信用代码的个体工商户，统一社会信用代码填 "
            "00000000000000000X（17个0加大写X），并填写工商注册号。",
        ),
        (
            "文本格式",
            "文本、代码、证件号码等列已设为文本格式，前导0和长数字不会被改写。从其他表格复制时请用"
            "「选择性粘贴 → 值」，并核对身份证号、统一社会信用代码是否完整（不能变成科学计数法）。",
        ),
        ("个人信息", _listing("以下字段含个人信息，请通过规定渠道报送：", personal_fields)),
    ]
    return [(topic, text) for topic, text in topics if text]


def _write_instructions(
    sheet: Worksheet, standard: Standard, entities: list[Entity], formats: dict[str, Format]
) -> None:
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 100)
    sheet.write_string(0, 0, "广东省行政执法监督数据报送模板 · 填报说明", formats["title"])
    row = 2
    for topic, text in _instructions(standard, entities):
        sheet.write_string(row, 0, topic, formats["topic"])
        sheet.write_string(row, 1, text, formats["wrap"])
        row += 1
    row += 1
    for column, title in enumerate(("工作表", "数据类型代码", "字段数", "必填字段")):
        sheet.write_string(row, column, title, formats["table_header"])
    for entity in entities:
        row += 1
        required = "、".join(spec_field.name for spec_field in entity.fields if spec_field.required)
        sheet.write_row(row, 0, (sheet_name(entity), entity.code, len(entity.fields)))
        sheet.write_string(row, 3, required, formats["wrap"])
    sheet.set_column(2, 2, 10)
    sheet.set_column(3, 3, 60)


# --- workbooks ------------------------------------------------------------------------------------------


def write_template(path: Path | str, standard: Standard, entities: Iterable[str] | None = None) -> Path:
    """One workbook: 填报说明, a sheet per entity (all, or the codes given), and the hidden 代码表."""
    chosen = [standard.entity(code) for code in (entities if entities is not None else standard.entities)]
    if not chosen:
        raise ValueError("a template needs at least one entity")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(str(path)) as workbook:
        formats = _formats(workbook)
        # Sheets appear in the order they are added; 代码表 is filled first because the drop-downs need it.
        instructions = workbook.add_worksheet(INSTRUCTIONS_SHEET)
        entity_sheets = [(workbook.add_worksheet(sheet_name(entity)), entity) for entity in chosen]
        sources = _write_code_table(workbook.add_worksheet(CODE_TABLE_SHEET), standard, formats)
        _write_instructions(instructions, standard, chosen, formats)
        for sheet, entity in entity_sheets:
            _write_entity_sheet(sheet, standard, entity, formats, sources)
        instructions.activate()
    return path


def write_templates(out_dir: Path | str, standard: Standard | None = None) -> list[Path]:
    """报送模板.xlsx with every entity, and <entity code>.xlsx for each entity on its own."""
    standard = standard or project_standard()
    out_dir = Path(out_dir)
    paths = [write_template(out_dir / ALL_ENTITIES_NAME, standard)]
    paths += (write_template(out_dir / f"{code}.xlsx", standard, [code]) for code in standard.entities)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m standards.templates <folder>")
    for written in write_templates(sys.argv[1]):
        print(written)
