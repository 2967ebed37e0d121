"""Per-unit feedback: summary, rejected rows and findings on their own sheets; values shown exactly as sent
(formula-shaped ones as quoted text, escaped in HTML); re-running gives the same bytes."""

from __future__ import annotations

import html
import shutil

import duckdb
import openpyxl
import pytest

from zfjd.home import Home
from zfjd.reports.feedback import write_unit_feedback

HOSTILE = ["=1+1", "+8613800000000", "@SUM(A1)", "-2+3", "<script>alert(1)</script>"]


@pytest.fixture(scope="module")
def feedback(published, as_of, tmp_path_factory):
    """A copy of the published warehouse in which one unit also sent formula-shaped values."""
    home = Home.at(tmp_path_factory.mktemp("feedback"))
    home.published.parent.mkdir(parents=True)
    shutil.copyfile(published.published, home.published)
    with duckdb.connect(str(home.published)) as con:
        unit, batch_id, entity = con.execute(
            "select b.unit, b.batch_id, b.entity from ops.ops_rejection r join ops.ops_batch b using (batch_id) "
            "where b.validated_as_of = ? order by b.unit, b.batch_id limit 1",
            [as_of],
        ).fetchone()
        for offset, value in enumerate(HOSTILE):
            con.execute(
                "insert into ops.ops_rejection values (?, ?, ?, ?, ?, 'field.max_length', 'WFXW', '违法行为', "
                "'违法行为超过规定长度', '请精简', ?, null)",
                [f"hostile-{offset}", batch_id, unit, entity, 9000 + offset, value],
            )
    paths = write_unit_feedback(home, as_of)
    return home, unit, paths, as_of


def _facts(sheet) -> dict[str, str]:
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=3, max_col=2, values_only=True) if row[0]}


def test_every_unit_with_a_batch_this_cycle_gets_an_xlsx_and_an_html(feedback):
    home, _, paths, as_of = feedback
    with duckdb.connect(str(home.published), read_only=True) as con:
        units = {u for (u,) in con.execute(
            "select distinct unit from ops.ops_batch where validated_as_of = ? and unit <> 'province'",
            [as_of]).fetchall()}
    expected = set()
    for unit in units:
        folder = home.reports / "feedback" / unit
        expected |= {folder / f"{as_of}.xlsx", folder / f"{as_of}.html"}
    assert set(paths) == expected
    assert all(path.stat().st_size > 0 for path in paths)


def test_the_workbook_has_the_summary_the_rejected_rows_and_the_findings(feedback):
    home, unit, _, as_of = feedback
    book = openpyxl.load_workbook(home.reports / "feedback" / unit / f"{as_of}.xlsx")
    assert book.sheetnames == ["概况", "批次", "退回明细", "监督发现"]
    with duckdb.connect(str(home.published), read_only=True) as con:
        received, accepted, rejected = con.execute(
            "select sum(received), sum(accepted), sum(rejected) from ops.ops_batch where unit = ? and "
            "validated_as_of = ?", [unit, as_of]).fetchone()
        rejection_rows = con.execute(
            "select count(*) from ops.ops_rejection r join ops.ops_batch b using (batch_id) "
            "where b.unit = ? and b.validated_as_of = ?", [unit, as_of]).fetchone()[0]
        accuracy = con.execute(
            "select accuracy_rate from marts.mart_unit_data_quality where reporting_unit_id = ? "
            "order by month_start desc limit 1", [unit]).fetchone()[0]
    facts = _facts(book["概况"])
    assert facts["统一社会信用代码"] == unit
    assert (facts["收到记录数"], facts["通过记录数"], facts["退回记录数"]) == tuple(
        str(n) for n in (received, accepted, rejected))
    assert any(key.startswith("数据精准率（") and value == f"{accuracy * 100:.1f}%" for key, value in facts.items())

    rejected_sheet = book["退回明细"]
    header = [c.value for c in rejected_sheet[1]]
    assert header[:7] == ["行号", "数据类别", "来源", "字段", "填报值", "问题", "修改建议"]
    rows = list(rejected_sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == rejection_rows  # every rejected record, the 5 planted ones included
    assert all(row[0] is not None and row[5] for row in rows)  # row number and reason always there
    assert all(row[6] for row in rows if row[7] != "field.required")  # a fix hint

    findings_sheet = book["监督发现"]
    assert [c.value for c in findings_sheet[1]][:4] == ["数据类别", "编号", "字段", "发现"]


def test_formula_shaped_values_are_text_in_the_workbook(feedback):
    home, unit, _, as_of = feedback
    sheet = openpyxl.load_workbook(home.reports / "feedback" / unit / f"{as_of}.xlsx")["退回明细"]
    cells = {row[4].value: row[4] for row in sheet.iter_rows(min_row=2) if row[0].value and row[0].value >= 9000}
    assert set(cells) == set(HOSTILE)
    for value, cell in cells.items():
        assert cell.data_type == "s", value  # a string, never a formula ("f")
        if value[0] in "=+-@":
            assert cell.quotePrefix, value  # Excel keeps it as typed text even when the cell is edited


def test_formula_shaped_values_are_escaped_in_the_html(feedback):
    home, unit, _, as_of = feedback
    page = (home.reports / "feedback" / unit / f"{as_of}.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert html.escape("<script>alert(1)</script>") in page
    for value in HOSTILE[:4]:
        assert f">{html.escape(value)}<" in page
    assert "退回的记录" in page and "监督发现" in page


def test_rerunning_gives_identical_bytes(feedback):
    home, _, paths, as_of = feedback
    before = {path: path.read_bytes() for path in paths}
    again = write_unit_feedback(home, as_of)
    assert again == paths
    assert {path: path.read_bytes() for path in again} == before
