"""Per-unit feedback: summary, rejected rows and findings on their own sheets; values shown exactly as sent
(formula-shaped ones as quoted text, escaped in HTML); re-running gives the same bytes."""

from __future__ import annotations

import html
import shutil

import duckdb
import openpyxl
import pytest

from standards.model import REFERENCE_UNIT
from zfjd.home import Home
from zfjd.reports.feedback import load_feedback, write_unit_feedback
from zfjd.reports.monthly import PROVISIONAL_NOTE

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
            "select distinct unit from ops.ops_batch where validated_as_of = ? and unit <> ?",
            [as_of, REFERENCE_UNIT]).fetchall()}
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


NEW_RULE = ("finding.test_new_kind", "罚缴分离（测试）：作出罚款决定的机关自行收缴罚款",
            "《中华人民共和国行政处罚法》第六十七条")
QUARANTINE_REASON = "文件不是有效的 JSON：第 1 行第 5 列附近格式错误"


@pytest.fixture(scope="module")
def amended(published, as_of, tmp_path_factory):
    """A copy in which one unit has a provisional finding, a finding of a kind the seed has just gained,
    and a batch quarantined whole."""
    home = Home.at(tmp_path_factory.mktemp("feedback-amended"))
    home.published.parent.mkdir(parents=True)
    shutil.copyfile(published.published, home.published)
    shown = {f.unit: f for f in load_feedback(home.published, as_of) if f.findings}
    assert shown, "the small province has findings this cycle"
    unit = sorted(shown)[0]
    first = shown[unit].findings[0]
    with duckdb.connect(str(home.published)) as con:
        finding_id = con.execute(
            "select finding_id from marts.fct_finding where reporting_unit_id = ? and rule_id = ? and record_id = ? "
            "order by finding_id limit 1", [unit, first["rule_id"], first["record_id"]]).fetchone()[0]
        con.execute("update marts.fct_finding set is_provisional = true where finding_id = ?", [finding_id])
        con.execute("create temp table added as select * from marts.fct_finding where finding_id = ?", [finding_id])
        con.execute("update added set finding_id = 'added-1', rule_id = ?, message = null, is_provisional = false",
                    [NEW_RULE[0]])
        con.execute("insert into marts.fct_finding by name select * from added")
        con.execute("create temp table new_rule as select * from reference.rule limit 1")
        con.execute("update new_rule set rule_id = ?, message = ?, legal_basis = ?", list(NEW_RULE))
        con.execute("insert into reference.rule by name select * from new_rule")
        con.execute("create temp table bad as select * from ops.ops_batch where unit = ? and validated_as_of = ? "
                    "limit 1", [unit, as_of])
        con.execute("update bad set batch_id = 'quarantined-1', accepted = 0, rejected = received, findings = 0, "
                    "unusable_reason = ?, source_name = '坏文件.json'", [QUARANTINE_REASON])
        con.execute("insert into ops.ops_batch by name select * from bad")
    write_unit_feedback(home, as_of)
    return home, unit, as_of, first


def test_a_provisional_finding_is_marked_with_why(amended):
    home, unit, as_of, _ = amended
    book = openpyxl.load_workbook(home.reports / "feedback" / unit / f"{as_of}.xlsx")
    facts = _facts(book["概况"])
    assert facts["其中暂定"] == f"1（{PROVISIONAL_NOTE}）"
    sheet = book["监督发现"]
    header = [c.value for c in sheet[1]]
    marks = [row[header.index("暂定")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert marks.count(f"暂定：{PROVISIONAL_NOTE}") == 1 and all(m in (None, "", f"暂定：{PROVISIONAL_NOTE}")
                                                             for m in marks)
    page = (home.reports / "feedback" / unit / f"{as_of}.html").read_text(encoding="utf-8")
    assert f"其中 1 条标注“暂定”：{PROVISIONAL_NOTE}" in page
    assert page.count('<tr class="provisional">') == 1 and "<td>暂定</td>" in page


def test_a_quarantined_batch_is_listed_with_its_reason(amended):
    home, unit, as_of, _ = amended
    book = openpyxl.load_workbook(home.reports / "feedback" / unit / f"{as_of}.xlsx")
    facts = _facts(book["概况"])
    assert facts["整批无法读取的批次"] == "1"
    assert facts["整批无法读取"].startswith(f"坏文件.json：{QUARANTINE_REASON}（")
    batches = book["批次"]
    header = [c.value for c in batches[1]]
    reasons = [row[header.index("整批无法读取的原因")] for row in batches.iter_rows(min_row=2, values_only=True)]
    assert reasons.count(QUARANTINE_REASON) == 1
    page = (home.reports / "feedback" / unit / f"{as_of}.html").read_text(encoding="utf-8")
    assert f"坏文件.json：整批无法读取（{QUARANTINE_REASON}）" in page


def test_finding_messages_come_from_the_rule_seed_new_kinds_included(amended):
    home, unit, as_of, _ = amended
    with duckdb.connect(str(home.published), read_only=True) as con:
        messages = dict(con.execute("select rule_id, message from reference.rule").fetchall())
    sheet = openpyxl.load_workbook(home.reports / "feedback" / unit / f"{as_of}.xlsx")["监督发现"]
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {row[header.index("规则")] for row in rows} >= {NEW_RULE[0]}
    for row in rows:
        assert row[header.index("发现")] == messages[row[header.index("规则")]]
    page = (home.reports / "feedback" / unit / f"{as_of}.html").read_text(encoding="utf-8")
    assert f"<h3>{NEW_RULE[1]} " in page and NEW_RULE[2] in page
