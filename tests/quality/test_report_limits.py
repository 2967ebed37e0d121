"""The reports built as columns say what the per-record code said, and stay within their limits: Excel's
rows per sheet, the HTML's rows per rule. The limits are made small here rather than the data large."""

from __future__ import annotations

import json

import polars as pl
import pytest
from openpyxl import load_workbook
from support import AS_OF, REFERENCE, SAMPLES, UNIT

from quality import report
from quality.engine import validate_file
from standards.loader import standard
from standards.messages import rule_hint, rule_message


@pytest.fixture(scope="module")
def result():
    return validate_file(SAMPLES / "penalty_case.csv", "penalty_case", unit=UNIT, reference=REFERENCE, as_of=AS_OF)


def test_error_and_finding_records_read_as_one_record_at_a_time_would(result):
    spec = standard()
    entity = spec.entity(result.entity)
    long_value = "值" * (report.ECHO_CHARS + 5)
    # A malformed line (no field) and a value past the echo limit, besides the sample's own errors.
    errors = pl.concat(
        [
            result.errors,
            pl.DataFrame(
                {"row": [90, 91], "field": [None, "CF_XDR_MC"], "rule": ["record.malformed", "field.max_length"],
                 "value": ["a,b", long_value]},
                schema=result.errors.schema,
            ),
        ]
    )
    result = type(result)(**{**result.__dict__, "errors": errors})
    expected_errors = [
        {"row": row, "field": code, "rule": rule_id, "message": rule_message(spec.rules[rule_id], entity, code),
         "value": report.echoed(value), "hint": rule_hint(spec.rules[rule_id], entity, code)}
        for row, code, rule_id, value in errors.iter_rows()
    ]
    expected_findings = [
        {"row": row, "rule": rule_id, "message": rule_message(spec.rules[rule_id], entity, code),
         "basis": spec.rules[rule_id].basis, "field": code, "provisional": bool(provisional)}
        for row, code, rule_id, provisional in result.findings.select("row", "field", "rule", "provisional").iter_rows()
    ]
    assert report.error_records(result, spec) == expected_errors
    assert report.finding_records(result, spec) == expected_findings
    assert expected_errors[-1]["value"].endswith(report.TRUNCATED)


def test_the_streamed_json_is_the_document(result, tmp_path):
    document = report.to_json_document(result, standard(), AS_OF)
    report.write_json(document, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == document


def test_a_list_longer_than_an_excel_sheet_continues_on_further_sheets(result, tmp_path, monkeypatch):
    spec = standard()
    document = report.to_json_document(result, spec, AS_OF)
    monkeypatch.setattr(report, "EXCEL_MAX_ROWS", 11)  # a header and 10 records per sheet
    report.write_xlsx(document, spec, tmp_path / "r.xlsx")
    workbook = load_workbook(tmp_path / "r.xlsx", read_only=True)
    errors = len(document["errors"])
    sheets = [name for name in workbook.sheetnames if name.startswith("拒收明细")]
    assert len(sheets) == -(-errors // 10) > 1
    assert sheets[:2] == ["拒收明细", "拒收明细（2）"]
    rows = [row for name in sheets for row in list(workbook[name].iter_rows(values_only=True))[1:]]
    assert all(workbook[name].max_row <= 11 for name in sheets)
    assert sorted((row[5], row[0]) for row in rows) == sorted((e["rule"], e["row"]) for e in document["errors"])
    overview = " ".join(str(cell) for row in workbook["概况"].iter_rows(values_only=True) for cell in row if cell)
    assert f"拒收明细共 {errors} 条，超过 Excel 单个工作表 11 行的上限，分为 {len(sheets)} 个工作表" in overview


def test_the_html_report_lists_the_first_rows_of_each_rule_after_a_summary(result, tmp_path, monkeypatch):
    spec = standard()
    document = report.to_json_document(result, spec, AS_OF)
    monkeypatch.setattr(report, "HTML_ROWS_PER_RULE", 1)
    report.write_html(document, spec, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    summary = report.summary_of(document, "errors")
    crowded = [(rule, count) for rule, _message, count in summary if count > 1]
    assert crowded  # the sample has rules failed more than once
    errors_part = html.split("<h2>拒收的记录", 1)[1].split("<h2>监督发现", 1)[0]
    assert errors_part.index('class="summary"') < errors_part.index("<h3")
    assert errors_part.count('<td class="value">') == len(summary)  # one row listed per rule
    for _rule, count in crowded:
        assert f"另有 {count - 1} 条同类问题，见 XLSX 或 JSON 报告。" in errors_part
    assert all("field_label" not in record for record in document["errors"])  # the document is left as it was
