"""The yearly 年度公开 workbook: opened in LibreOffice (headless, every sheet converted to CSV) as a user's
spreadsheet would open it, and its figures checked against SQL run here on the same warehouse.

Needs LibreOffice's `soffice` (CI installs it: .ci/install-office.sh); fails, not skips, without it.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

from zfjd.cli import app
from zfjd.reports.yearly import workbook_name, write_yearly_workbook

# Every sheet to its own CSV (the 12th token, -1), UTF-8 (76), cells as stored, not as formatted (false).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,false,false,false,false,-1"
COMPLETE_YEAR = 2024  # the simulated province (from 2025-01-01) holds late-reported 2024 decisions
RUNNING_YEAR = 2025


def open_in_libreoffice(workbook, tmp_path) -> dict[str, list[list[str]]]:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is missing: bash .ci/install-office.sh"
    out = tmp_path / "csv"
    done = subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
         "--convert-to", CSV_FILTER, "--outdir", str(out), str(workbook)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    prefix = workbook.stem + "-"
    sheets = {}
    for path in sorted(out.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem.removeprefix(prefix)] = list(csv.reader(handle))
    return sheets


def query(home, sql, params=()):
    with duckdb.connect(str(home.published), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="module")
def complete(published, tmp_path_factory):
    out = tmp_path_factory.mktemp("yearly")
    workbook = write_yearly_workbook(published.published, COMPLETE_YEAR, out)
    return workbook, open_in_libreoffice(workbook, out)


def number(text: str) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def test_one_sheet_per_body_a_summary_and_notes(published, complete):
    workbook, sheets = complete
    assert workbook.name == workbook_name(COMPLETE_YEAR)
    bodies = [row[0] for row in query(
        published, "select entity_id from marts.mart_supervision_indicators_yearly where report_year = ? "
                   "order by city_code nulls first, county_code nulls first, entity_id", [COMPLETE_YEAR])]
    assert len(bodies) > 20
    assert set(sheets) == {"说明", "汇总"} | set(bodies)
    assert "已结束" in sheets["说明"][1][0]
    summary = sheets["汇总"]
    assert [row[0] for row in summary[1:-1]] == bodies  # every body once: 省直 first, then by city and county
    assert summary[-1][0] == "合计"


def test_totals_equal_sql_on_the_warehouse(published, complete):
    _, sheets = complete
    header, *rows = sheets["汇总"]
    total = dict(zip(header, rows[-1], strict=True))
    ((cases, amount, measures, inspections, officers, certified),) = query(
        published,
        "select sum(penalty_case_count), sum(forfeiture_amount_wan), sum(coercion_measure_count), "
        "sum(inspection_count), sum(officer_count), sum(certified_officer_count) "
        "from marts.mart_supervision_indicators_yearly where report_year = ?", [COMPLETE_YEAR])
    assert cases > 0
    assert number(total["行政处罚（件）"]) == cases
    assert number(total["罚没金额（万元）"]) == amount
    assert number(total["行政强制措施（件）"]) == measures
    assert number(total["行政检查（次）"]) == inspections
    assert number(total["在职执法人员（年末，人）"]) == officers
    # a rate of sums, never an average of the bodies' rates
    assert total["持证率"].endswith("%")  # stored as a fraction, shown as a percentage
    assert float(total["持证率"].removesuffix("%")) / 100 == pytest.approx(certified / officers)
    # 处罚 by kind, from the facts: each decided case once, under its heaviest kind
    by_kind = dict(query(
        published,
        "select heaviest_penalty_kind, count(*) from marts.fct_penalty_case "
        "where is_decided and extract(year from decision_month) = ? group by all", [COMPLETE_YEAR]))
    assert sum(by_kind.values()) == cases
    for kind, count in by_kind.items():
        assert number(total[f"处罚：{kind}（件）"]) == count, kind
    for row in rows[:-1]:  # a combined penalty counted once: the kinds add up to the body's cases
        line = dict(zip(header, row, strict=True))
        kinds = sum(number(line[name]) for name in header if name.startswith("处罚："))
        assert kinds == number(line["行政处罚（件）"]), line["执法主体代码"]


def test_zero_enforcement_as_the_mart_lists_it(published, complete):
    _, sheets = complete
    header, *rows = sheets["汇总"]
    zero = set(query(published, "select entity_id, matter_kind from marts.mart_zero_enforcement "
                                "where report_year = ?", [COMPLETE_YEAR]))
    assert zero
    columns = {"CF": "零执法：行政处罚", "QZ": "零执法：行政强制", "JC": "零执法：行政检查"}
    shown = {(row[0], code) for row in rows[:-1] for code, name in columns.items()
             if dict(zip(header, row, strict=True))[name] == "是"}
    assert shown == zero
    total = dict(zip(header, rows[-1], strict=True))
    for code, name in columns.items():
        assert total[name] == f"{sum(1 for _, kind in zero if kind == code)} 个"


def test_each_body_sheet_repeats_its_summary_row(complete):
    _, sheets = complete
    header, *rows = sheets["汇总"]
    for row in rows[:-1][:10]:
        line = dict(zip(header, row, strict=True))
        sheet = sheets[line["执法主体代码"]]
        assert line["执法主体名称"] in sheet[0][0]
        values = {cells[0]: cells[1] for cells in sheet[1:] if len(cells) > 1}
        for name in header[2:]:
            assert values[name] == line[name], (line["执法主体代码"], name)


def test_a_year_in_progress_lists_no_zero_enforcement(published, tmp_path):
    workbook = write_yearly_workbook(published.published, RUNNING_YEAR, tmp_path)
    sheets = open_in_libreoffice(workbook, tmp_path)
    assert "进行中" in sheets["说明"][1][0]
    header, *rows = sheets["汇总"]
    zero_columns = [i for i, name in enumerate(header) if name.startswith("零执法")]
    assert {row[i] for row in rows for i in zero_columns} == {"年度未结束，不判定"}


def test_the_same_warehouse_gives_the_same_bytes(published, complete, tmp_path):
    workbook, _ = complete
    again = write_yearly_workbook(published.published, COMPLETE_YEAR, tmp_path)
    assert again.read_bytes() == workbook.read_bytes()


def test_the_command(published, tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["report", "yearly", "--year", str(COMPLETE_YEAR), "--home", str(published.root),
                               "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert (tmp_path / workbook_name(COMPLETE_YEAR)).exists()
    missing = runner.invoke(app, ["report", "yearly", "--year", "1999", "--home", str(published.root),
                                  "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "没有 1999 年的年度数据" in missing.output
    assert not (tmp_path / workbook_name(1999)).exists()
    assert not list(tmp_path.glob(".yearly-*"))  # nothing half-written left behind
