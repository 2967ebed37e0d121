"""Submission templates: headers a filled template validates with, text columns, and working drop-downs."""

import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from standards.loader import standard
from standards.templates import (
    ALL_ENTITIES_NAME,
    CODE_TABLE_SHEET,
    INSTRUCTIONS_SHEET,
    TEXT_TYPES,
    write_template,
    write_templates,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return write_template(tmp_path_factory.mktemp("templates") / ALL_ENTITIES_NAME, standard())


@pytest.fixture(scope="module")
def workbook(template):
    return openpyxl.load_workbook(template)


def _column_formats(sheet) -> dict[int, str]:
    """Column number → number format; Excel stores adjacent alike columns as one min..max range."""
    formats = {}
    for dimension in sheet.column_dimensions.values():
        for column in range(dimension.min, dimension.max + 1):
            formats[column] = dimension.number_format
    return formats


def _validation_for(sheet, column: int):
    cell = f"{get_column_letter(column)}2"
    found = [dv for dv in sheet.data_validations.dataValidation if cell in dv.sqref]
    return found[0] if found else None


def test_sheets_are_instructions_entities_then_code_table(template):
    names = CalamineWorkbook.from_path(template).sheet_names
    entity_names = [entity.name for entity in standard().entities.values()]
    assert names == [INSTRUCTIONS_SHEET, *entity_names, CODE_TABLE_SHEET]


def test_header_row_is_exactly_the_chinese_field_names(template):
    book = CalamineWorkbook.from_path(template)
    for entity in standard().entities.values():
        rows = book.get_sheet_by_name(entity.name).to_python()
        assert rows[0] == [spec_field.name for spec_field in entity.fields], entity.code


def test_code_table_holds_every_code_lists_labels(template, workbook):
    rows = CalamineWorkbook.from_path(template).get_sheet_by_name(CODE_TABLE_SHEET).to_python()
    columns = {header: [row[index] for row in rows[1:] if row[index] != ""] for index, header in enumerate(rows[0])}
    for codelist in standard().codelists.values():
        assert columns[f"{codelist.name}（{codelist.id}）"] == [value.label for value in codelist.values]
    assert workbook[CODE_TABLE_SHEET].sheet_state == "hidden"


def test_code_columns_drop_down_from_the_code_table(workbook):
    code_sheet = workbook[CODE_TABLE_SHEET]
    for entity in standard().entities.values():
        sheet = workbook[entity.name]
        for column, spec_field in enumerate(entity.fields, start=1):
            if spec_field.codelist is None:
                continue
            validation = _validation_for(sheet, column)
            assert validation is not None and validation.type == "list", spec_field.label
            source = re.fullmatch(rf"'{CODE_TABLE_SHEET}'!(\$[A-Z]+\$\d+:\$[A-Z]+\$\d+)", validation.formula1)
            assert source, validation.formula1
            offered = [cell.value for (cell,) in code_sheet[source.group(1).replace("$", "")]]
            labels = [value.label for value in standard().codelists[spec_field.codelist].values]
            assert offered == labels, spec_field.label


def test_yes_no_columns_offer_y_and_n(workbook):
    for entity in standard().entities.values():
        for column, spec_field in enumerate(entity.fields, start=1):
            if spec_field.type == "yn":
                validation = _validation_for(workbook[entity.name], column)
                assert validation.type == "list" and validation.formula1 == '"Y,N"'


def test_text_columns_are_text_and_date_columns_are_dates(workbook):
    for entity in standard().entities.values():
        formats = _column_formats(workbook[entity.name])
        for column, spec_field in enumerate(entity.fields, start=1):
            if spec_field.type in TEXT_TYPES:
                assert formats[column] == "@", spec_field.label
            elif spec_field.type == "date":
                assert formats[column] == "yyyy-mm-dd", spec_field.label


def test_header_is_frozen_and_explained(workbook):
    for entity in standard().entities.values():
        sheet = workbook[entity.name]
        assert sheet.freeze_panes == "A2"
        for column, spec_field in enumerate(entity.fields, start=1):
            header = sheet.cell(row=1, column=column)
            assert header.comment is not None and header.comment.text.startswith(spec_field.code)
            assert header.font.b


def test_instructions_cover_headers_dates_lists_amounts_and_sole_traders(template):
    rows = CalamineWorkbook.from_path(template).get_sheet_by_name(INSTRUCTIONS_SHEET).to_python()
    text = "\n".join(str(cell) for row in rows for cell in row)
    for expected in (
        "字段代码",
        "2024-03-05",
        "2024/3/5",
        "2024年3月5日",
        "20240305",
        "英文分号「;」",
        "万元",
        "元为单位",
        "00000000000000000X",
        "个体工商户",
    ):
        assert expected in text


def test_write_templates_writes_one_workbook_and_one_per_entity(tmp_path):
    written = write_templates(tmp_path, standard())
    assert [path.name for path in written] == [
        ALL_ENTITIES_NAME,
        *(f"{code}.xlsx" for code in standard().entities),
    ]
    officer = CalamineWorkbook.from_path(tmp_path / "officer.xlsx")
    assert officer.sheet_names == [INSTRUCTIONS_SHEET, standard().entity("officer").name, CODE_TABLE_SHEET]


def test_unknown_entity_is_refused(tmp_path):
    with pytest.raises(KeyError, match="未知的数据类型"):
        write_template(tmp_path / "x.xlsx", standard(), ["no_such_entity"])
