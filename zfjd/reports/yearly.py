"""The yearly 行政执法数据年度公开 workbook (standard.md §6; due by 31 January for the year before).

One XLSX: a 说明 sheet (the year, whether it is complete, how each figure is counted), a 汇总 sheet with
one row per 执法主体 and a 合计 row, and one sheet per 执法主体 (named by its 统一社会信用代码, which is
18 characters, unique and safe as a sheet name) with the same figures down the page.

Built from the published warehouse alone, read-only, from the year grain the 通报 and the dashboard read
(`mart_supervision_indicators_yearly`, `mart_penalty_kind_counts`, `mart_zero_enforcement`), so the
figures are the same everywhere. Counts are sums over the year; 持证 figures are the year-end stock; the
合计 row's 持证率 is recomputed from the summed counts, never averaged. 零执法 is judged for a whole,
ended year only: for a year in progress the workbook says so and lists none.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from zfjd.reports import query_rows
from zfjd.reports.monthly import PROVINCE_LEVEL

ZERO_KINDS = (("CF", "行政处罚"), ("QZ", "行政强制"), ("JC", "行政检查"))

# (column in mart_supervision_indicators_yearly, header): the template's counts, in its order.
COUNTS = (
    ("penalty_case_count", "行政处罚（件）"),
    ("summary_procedure_count", "其中：简易程序（件）"),
    ("ordinary_procedure_count", "其中：普通程序（件）"),
    ("forfeiture_amount_wan", "罚没金额（万元）"),
    ("coercion_measure_count", "行政强制措施（件）"),
    ("coercion_execution_count", "行政强制执行（件）"),
    ("inspection_count", "行政检查（次）"),
    ("filed_case_count", "立案（件）"),
    ("closed_case_count", "结案（件）"),
    ("judicial_transfer_count", "移送司法机关（件）"),
    ("officer_count", "在职执法人员（年末，人）"),
    ("certified_officer_count", "持证执法人员（年末，人）"),
)
IDENTITY = (
    ("entity_id", "执法主体代码"),
    ("entity_name", "执法主体名称"),
    ("city_name", "地级市"),
    ("county_name", "县区"),
    ("enforcement_domain", "执法领域"),
)


class YearlyReportError(ValueError):
    """The year cannot be reported from this warehouse (message in Chinese, for the command line)."""


@dataclass
class YearData:
    year: int
    complete: bool
    months: int
    last_month: dt.date
    penalty_kinds: list[str]
    bodies: list[dict]
    totals: dict


def workbook_name(year: int) -> str:
    return f"行政执法数据年度公开-{year}.xlsx"


def penalty_kinds_in_order() -> list[str]:
    """处罚类别 light → heavy (行政处罚法 Art 9), the order of the standard's code list."""
    from standards.loader import load_standard

    return [value.code for value in load_standard().codelists["penalty_kind"].values]



def load_year(published_db: Path, year: int) -> YearData:
    """Every figure of the workbook, read in one read-only connection."""
    import duckdb

    kinds = penalty_kinds_in_order()
    with duckdb.connect(str(published_db), read_only=True) as con:
        counts = ", ".join(f"i.{column}" for column, _ in COUNTS)
        bodies = query_rows(
            con,
            f"select i.entity_id, i.entity_name, i.city_code, i.county_code, i.enforcement_domain, "
            f"i.is_year_complete, i.month_count, i.year_end_month, {counts}, "
            "coalesce(city.division_name, i.city_code) as city_name, "
            "coalesce(county.division_name, i.county_code) as county_name "
            "from marts.mart_supervision_indicators_yearly i "
            "left join marts.dim_region city on city.division_code = i.city_code "
            "left join marts.dim_region county on county.division_code = i.county_code "
            "where i.report_year = ? order by i.city_code nulls first, i.county_code nulls first, i.entity_id",
            [year],
        )
        if not bodies:
            held = [row[0] for row in con.execute(
                "select distinct report_year from marts.mart_supervision_indicators_yearly order by 1").fetchall()]
            have = "、".join(str(y) for y in held) or "无"
            raise YearlyReportError(f"主题库中没有 {year} 年的年度数据（已有年度：{have}）")
        by_kind = {
            (row["entity_id"], row["penalty_kind"]): row["penalty_case_count"]
            for row in query_rows(
                con,
                "select entity_id, penalty_kind, sum(penalty_case_count) as penalty_case_count "
                "from marts.mart_penalty_kind_counts where extract(year from month_start) = ? group by all",
                [year],
            )
        }
        zero = {
            (row["entity_id"], row["matter_kind"])
            for row in query_rows(
                con, "select entity_id, matter_kind from marts.mart_zero_enforcement where report_year = ?", [year]
            )
        }
    complete = all(body["is_year_complete"] for body in bodies)
    for body in bodies:
        body["city_name"] = body["city_name"] or PROVINCE_LEVEL
        body["county_name"] = body["county_name"] or ""
        body["kinds"] = {kind: int(by_kind.get((body["entity_id"], kind), 0)) for kind in kinds}
        body["zero"] = {code: (body["entity_id"], code) in zero for code, _ in ZERO_KINDS}
    totals = {column: sum(body[column] or 0 for body in bodies) for column, _ in COUNTS}
    totals["kinds"] = {kind: sum(body["kinds"][kind] for body in bodies) for kind in kinds}
    totals["zero"] = {code: sum(body["zero"][code] for body in bodies) for code, _ in ZERO_KINDS}
    last_month = max(body["year_end_month"] for body in bodies)
    return YearData(year, complete, max(body["month_count"] for body in bodies), last_month, kinds, bodies, totals)


def certification_rate(certified, officers) -> float | None:
    return None if not officers else float(certified or 0) / float(officers)


def _zero_label(data: YearData, flagged: bool) -> str:
    if not data.complete:
        return "年度未结束，不判定"
    return "是" if flagged else "否"


def write_yearly_workbook(published_db: Path, year: int, out_dir: Path) -> Path:
    """Writes the year's workbook into `out_dir` (under a temporary name, then renamed) and returns its path."""
    data = load_year(published_db, year)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / workbook_name(year)
    handle, temporary = tempfile.mkstemp(prefix=".yearly-", suffix=".xlsx", dir=out_dir)
    os.close(handle)
    try:
        _write(data, Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _write(data: YearData, path: Path) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                               "strings_to_formulas": False, "strings_to_urls": False})
    # Fixed metadata: the same warehouse gives the same workbook, whatever the clock says.
    workbook.set_properties({"title": f"{data.year}年度行政执法数据公开", "created": dt.datetime(data.year, 1, 1)})
    bold = workbook.add_format({"bold": True})
    wan = workbook.add_format({"num_format": "0.000000"})
    rate = workbook.add_format({"num_format": "0.00%"})

    notes = workbook.add_worksheet("说明")
    status = "已结束" if data.complete else f"进行中（计入 {data.months} 个月，至 {data.last_month:%Y年%-m月}）"
    lines = [
        f"广东省行政执法数据年度公开（{data.year} 年度）",
        f"年度状态：{status}",
        f"执法主体：{len(data.bodies)} 个（汇总表一行一个；每个执法主体另有一张表，表名为其统一社会信用代码）",
        "口径（执法数据标准 §6）：",
        "  行政处罚：当年作出决定且未撤销的案件；合并处罚计一次，按最重的处罚类别（行政处罚法第九条的顺序）归类。",
        "  罚没金额：当年决定案件的罚款与没收金额之和（万元）。",
        "  行政强制措施/执行：按决定日期；行政检查：按检查日期；移送司法机关：按决定或立案月份。",
        "  在职/持证执法人员：年末存量（证件注销或过期满一年以上的视为已离开）；合计行的持证率由合计数重新计算。",
        "  零执法：整年存续、整年持有该类在用执法事项、全年未报送该类执法行为的执法主体；年度未结束时不判定。",
    ]
    for row, line in enumerate(lines):
        notes.write_string(row, 0, line, bold if row == 0 else None)
    notes.set_column(0, 0, 110)

    summary = workbook.add_worksheet("汇总")
    headers = ([label for _, label in IDENTITY] + [label for _, label in COUNTS] + ["持证率"]
               + [f"处罚：{kind}（件）" for kind in data.penalty_kinds]
               + [f"零执法：{label}" for _, label in ZERO_KINDS])
    summary.write_row(0, 0, headers, bold)
    summary.freeze_panes(1, 2)
    for row, body in enumerate(data.bodies, start=1):
        _summary_row(summary, row, data, body, wan, rate)
    total_row = len(data.bodies) + 1
    summary.write_string(total_row, 0, "合计", bold)
    summary.write_string(total_row, 1, f"{len(data.bodies)} 个执法主体", bold)
    column = len(IDENTITY)
    for name, _ in COUNTS:
        summary.write_number(total_row, column, data.totals[name], wan if name.endswith("_wan") else bold)
        column += 1
    _write_rate(summary, total_row, column, data.totals["certified_officer_count"], data.totals["officer_count"], rate)
    column += 1
    for kind in data.penalty_kinds:
        summary.write_number(total_row, column, data.totals["kinds"][kind], bold)
        column += 1
    for code, _ in ZERO_KINDS:
        if data.complete:
            summary.write_string(total_row, column, f"{data.totals['zero'][code]} 个", bold)
        else:
            summary.write_string(total_row, column, _zero_label(data, False), bold)
        column += 1
    summary.set_column(0, 0, 22)
    summary.set_column(1, 1, 30)
    summary.set_column(2, len(headers) - 1, 14)

    for body in data.bodies:
        _body_sheet(workbook.add_worksheet(body["entity_id"]), data, body, bold, wan, rate)
    workbook.close()


def _write_rate(sheet, row: int, column: int, certified, officers, rate_format) -> None:
    value = certification_rate(certified, officers)
    if value is None:
        sheet.write_string(row, column, "—")
    else:
        sheet.write_number(row, column, value, rate_format)


def _summary_row(sheet, row: int, data: YearData, body: dict, wan, rate) -> None:
    column = 0
    for name, _ in IDENTITY:
        sheet.write_string(row, column, str(body[name] or ""))
        column += 1
    for name, _ in COUNTS:
        sheet.write_number(row, column, body[name] or 0, wan if name.endswith("_wan") else None)
        column += 1
    _write_rate(sheet, row, column, body["certified_officer_count"], body["officer_count"], rate)
    column += 1
    for kind in data.penalty_kinds:
        sheet.write_number(row, column, body["kinds"][kind])
        column += 1
    for code, _ in ZERO_KINDS:
        sheet.write_string(row, column, _zero_label(data, body["zero"][code]))
        column += 1


def _body_sheet(sheet, data: YearData, body: dict, bold, wan, rate) -> None:
    sheet.write_string(0, 0, f"{body['entity_name']}（{body['entity_id']}）{data.year} 年度行政执法数据", bold)
    row = 1
    for name, label in IDENTITY[2:]:
        sheet.write_string(row, 0, label)
        sheet.write_string(row, 1, str(body[name] or ""))
        row += 1
    sheet.write_row(row, 0, ["指标", "数值"], bold)
    row += 1
    for name, label in COUNTS:
        sheet.write_string(row, 0, label)
        sheet.write_number(row, 1, body[name] or 0, wan if name.endswith("_wan") else None)
        row += 1
    sheet.write_string(row, 0, "持证率")
    _write_rate(sheet, row, 1, body["certified_officer_count"], body["officer_count"], rate)
    row += 1
    for kind in data.penalty_kinds:
        sheet.write_string(row, 0, f"处罚：{kind}（件）")
        sheet.write_number(row, 1, body["kinds"][kind])
        row += 1
    for code, label in ZERO_KINDS:
        sheet.write_string(row, 0, f"零执法：{label}")
        sheet.write_string(row, 1, _zero_label(data, body["zero"][code]))
        row += 1
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 40)
