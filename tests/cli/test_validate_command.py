"""`zfjd validate` as other tools and units use it: exit codes, the JSON contract, the reports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from support import REFERENCE, SAMPLES, UNIT, clean_inspection, write_rows


def zfjd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zfjd.cli", *args], capture_output=True, text=True, timeout=300, check=False
    )


def validate(path, entity, tmp_path, *extra):
    out = tmp_path / "result.json"
    done = zfjd("validate", str(path), "--entity", entity, "--unit", UNIT, "--reference", str(REFERENCE),
                "--json", str(out), "--as-of", "2025-06-30", *extra)
    return done, (json.loads(out.read_text(encoding="utf-8")) if out.exists() else None)


def test_all_accepted_exits_0_with_the_json_contract(tmp_path):
    path = write_rows(tmp_path / "ok.csv", [clean_inspection(1), clean_inspection(2)])
    done, document = validate(path, "inspection", tmp_path)
    assert done.returncode == 0, done.stderr
    assert {"entity", "unit", "received", "accepted", "rejected", "errors", "findings"} <= set(document)
    assert (document["entity"], document["unit"]) == ("inspection", UNIT)
    assert (document["received"], document["accepted"], document["rejected"]) == (2, 2, 0)
    assert document["errors"] == [] and document["findings"] == []


def test_some_rejected_exits_1_and_lists_every_error_and_finding(tmp_path):
    done, document = validate(SAMPLES / "penalty_case.csv", "penalty_case", tmp_path,
                              "--xlsx", str(tmp_path / "r.xlsx"), "--html", str(tmp_path / "r.html"))
    assert done.returncode == 1, done.stderr
    assert document["received"] == document["accepted"] + document["rejected"]
    error = next(e for e in document["errors"] if e["rule"] == "field.date" and e["row"] == 7)
    assert set(error) >= {"row", "field", "rule", "message", "value"}
    assert (error["field"], error["value"]) == ("CF_JDRQ", "2024-13-45")
    assert "处罚决定日期（CF_JDRQ）" in error["message"]
    finding = next(f for f in document["findings"] if f["rule"] == "finding.overdue_handling")
    assert set(finding) >= {"row", "rule", "message", "basis", "provisional"}
    assert finding["basis"] == "行政处罚法第六十条"
    assert finding["provisional"] is False  # 2024 is an announced year
    assert "收到 38 条" in done.stdout


def test_an_unusable_file_exits_2_with_one_chinese_line(tmp_path):
    record = clean_inspection(1)
    record.pop("检查日期")
    path = write_rows(tmp_path / "bad.csv", [record])
    done, document = validate(path, "inspection", tmp_path)
    assert done.returncode == 2
    assert document is None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "缺少行政检查的必填列" in lines[0]


@pytest.mark.parametrize("args", [("--entity", "case"), ("--entity", "inspection", "--as-of", "30/06/2025")])
def test_wrong_arguments_exit_2(tmp_path, args):
    path = write_rows(tmp_path / "ok.csv", [clean_inspection(1)])
    done = zfjd("validate", str(path), *args)
    assert done.returncode == 2
    assert done.stderr.strip()


def test_formula_shaped_values_stay_text_in_the_xlsx_report(tmp_path):
    record = clean_inspection(1)
    record["检查对象名称"] = ""
    second = clean_inspection(2)
    second["检查方式"] = "=HYPERLINK(\"http://example.invalid\",\"点我\")"
    third = clean_inspection(3)
    third["检查日期"] = "+2024-05-20"
    path = write_rows(tmp_path / "formula.csv", [record, second, third])
    report = tmp_path / "report.xlsx"
    done, _document = validate(path, "inspection", tmp_path, "--xlsx", str(report), "--html", str(tmp_path / "r.html"))
    assert done.returncode == 1
    sheet = load_workbook(report)["拒收明细"]
    values = {cell.value: cell for row in sheet.iter_rows(min_row=2) for cell in row}
    for dangerous in ('=HYPERLINK("http://example.invalid","点我")', "+2024-05-20"):
        cell = values[dangerous]
        assert cell.data_type == "s"
        assert cell.quotePrefix
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "=HYPERLINK(&#34;http://example.invalid&#34;" in html
    assert "<script" not in html


def test_demo_runs_the_bundled_sample(tmp_path):
    done = zfjd("demo", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"penalty_case.html", "penalty_case.xlsx", "penalty_case.json"}


def test_a_hostile_name_and_header_through_the_real_entry_point_give_one_line_and_exit_2(tmp_path):
    """The console entry point (not typer's test runner): a `[/]` header in a file named like a glob
    once crashed rich with a traceback and exit 1; a neighbour matching the glob must not be read."""
    write_rows(tmp_path / "x1.csv", [clean_inspection(1)])
    record = dict(clean_inspection(1), **{"[/]": "x"})
    path = write_rows(tmp_path / "x[12].csv", [record])
    done, document = validate(path, "inspection", tmp_path, "--html", str(tmp_path / "r.html"))
    assert done.returncode == 2, done.stderr
    assert document is None and not (tmp_path / "r.html").exists()
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "[/]" in lines[0] and "标准以外的列" in lines[0], done.stderr


def test_a_finding_counted_through_an_unannounced_year_is_provisional_in_the_json(tmp_path):
    from build_samples import clean_case

    # Decided Wed 30 Dec 2026, published Tue 12 Jan 2027: with 元旦 a holiday in every year, the 7th working
    # day is Mon 11 Jan; 2027's arrangement is not known yet, so the finding is provisional.
    row = clean_case(1)
    row.update({"违法行为发生日期": "2026-11-01", "立案日期": "2026-12-01", "处罚决定日期": "2026-12-30",
                "处罚有效期": "2027-12-30", "公示截止期": "2029-12-30", "送达日期": "2026-12-30",
                "公示日期": "2027-01-12", "缴款日期": "", "实缴金额（元）": "", "执行方式": "", "案件状态": "4",
                "结案日期": "", "更新时间": "2027-01-20 09:00:00"})
    on_time = dict(row, 案件编号="TH-SJ-2024-0002", 行政处罚决定书文号="穗天市监处罚〔2024〕2号",
                   公示日期="2027-01-11")
    path = write_rows(tmp_path / "p.csv", [row, on_time])
    out = tmp_path / "p.json"
    done = zfjd("validate", str(path), "--entity", "penalty_case", "--unit", UNIT, "--reference", str(REFERENCE),
                "--json", str(out), "--as-of", "2027-01-31")
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    found = [(f["row"], f["rule"], f["provisional"]) for f in document["findings"]]
    assert found == [(1, "finding.late_publicity", True)]
